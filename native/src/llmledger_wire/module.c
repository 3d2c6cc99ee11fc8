/* `llmledger_wire._wire`: the GenAI span normalizer's per-span work, in C.
 *
 * Python decides everything the attribute keys alone decide (see `span_extract`); these
 * functions do what runs once per span or per attribute value. The Python interface and
 * its documentation are in `_wire.pyi`.
 */
#include "wire.h"

static PyMethodDef methods[] = {
    {"length_fields", (PyCFunction)(void (*)(void))length_fields, METH_FASTCALL,
     "The length-delimited fields of a message as (number, start, end)."},
    {"scan_scope", (PyCFunction)(void (*)(void))scan_scope, METH_FASTCALL,
     "A ScopeSpans' span count, scope parts, and the records of its candidate spans."},
    {"read_span", (PyCFunction)(void (*)(void))read_span, METH_FASTCALL,
     "A serialized Span's ids, times, attribute keys and values, or None if unusual."},
    {"extract_row", (PyCFunction)(void (*)(void))extract_row, METH_FASTCALL,
     "A span's lake row and count problem through its plan, or None if not billable."},
    {"as_text", as_text, METH_O, "Trimmed non-empty text; numbers spelled out; else None."},
    {"as_count", as_count, METH_O, "A whole number in 0..2**63-1 from int, float or str."},
    {"as_flag", as_flag, METH_O, "A bool from a bool, 0/1 or 'true'/'false'/'1'/'0'."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "llmledger_wire._wire", NULL, 0, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__wire(void)
{
    return PyModule_Create(&module);
}
