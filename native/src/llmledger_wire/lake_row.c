/* One lake row (`normalize.SPAN_COLUMNS` order) from a span record and its filled slots.
 *
 * Ids become lower-case hex, `call_id` is "<trace_id>-<span_id>", times become integer
 * microseconds (the Parquet writer turns whole columns into timestamps), and feature and
 * team fall back to the resource's when the span has none.
 */
#include "wire.h"

enum { ROW = 28 };

static PyObject *hex(PyObject *bytes, const char *suffix_id, PyObject *other)
{
    static const char digits[] = "0123456789abcdef";
    Py_ssize_t size = PyBytes_GET_SIZE(bytes), extra = 0;
    if (suffix_id != NULL)
        extra = 1 + 2 * PyBytes_GET_SIZE(other);
    PyObject *text = PyUnicode_New(2 * size + extra, 127);
    if (text == NULL)
        return NULL;
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
    const unsigned char *in = (const unsigned char *)PyBytes_AS_STRING(bytes);
    for (Py_ssize_t i = 0; i < size; i++) {
        *out++ = (Py_UCS1)digits[in[i] >> 4];
        *out++ = (Py_UCS1)digits[in[i] & 15];
    }
    if (suffix_id != NULL) {
        *out++ = (Py_UCS1)*suffix_id;
        in = (const unsigned char *)PyBytes_AS_STRING(other);
        for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(other); i++) {
            *out++ = (Py_UCS1)digits[in[i] >> 4];
            *out++ = (Py_UCS1)digits[in[i] & 15];
        }
    }
    return text;
}

static PyObject *micros(PyObject *nanos)
{
    PyObject *thousand = PyLong_FromLong(1000);
    PyObject *result = thousand == NULL ? NULL : PyNumber_FloorDivide(nanos, thousand);
    Py_XDECREF(thousand);
    return result;
}

PyObject *lake_row(PyObject *record, PyObject *facts, PyObject *operation, PyObject **best,
                   PyObject *convention, PyObject *json)
{
    PyObject *trace = PyTuple_GET_ITEM(record, 0), *span = PyTuple_GET_ITEM(record, 1);
    PyObject *parent = PyTuple_GET_ITEM(record, 2), *end = PyTuple_GET_ITEM(record, 4);
    PyObject *row = PyTuple_New(ROW);
    if (row == NULL)
        return NULL;
    int ended = PyObject_IsTrue(end);
    PyObject *head[6] = {
        hex(trace, "-", span),
        hex(trace, NULL, NULL),
        hex(span, NULL, NULL),
        PyBytes_GET_SIZE(parent) ? hex(parent, NULL, NULL) : Py_NewRef(Py_None),
        micros(PyTuple_GET_ITEM(record, 3)),
        ended > 0 ? micros(end) : Py_NewRef(Py_None),
    };
    Py_ssize_t column = 0;
    for (int i = 0; i < 6; i++)
        PyTuple_SET_ITEM(row, column++, head[i]);
    PyTuple_SET_ITEM(row, column++, Py_NewRef(PyTuple_GET_ITEM(facts, 0)));
    PyTuple_SET_ITEM(row, column++, Py_NewRef(best[PROVIDER]));
    PyTuple_SET_ITEM(row, column++, Py_NewRef(operation));
    for (int slot = REQUEST_MODEL; slot < FEATURE; slot++)
        PyTuple_SET_ITEM(row, column++, Py_NewRef(best[slot]));
    PyObject *feature = best[FEATURE] != Py_None ? best[FEATURE] : PyTuple_GET_ITEM(facts, 1);
    PyObject *team = best[TEAM] != Py_None ? best[TEAM] : PyTuple_GET_ITEM(facts, 2);
    PyTuple_SET_ITEM(row, column++, Py_NewRef(feature));
    PyTuple_SET_ITEM(row, column++, Py_NewRef(team));
    PyTuple_SET_ITEM(row, column++, Py_NewRef(best[USER]));
    PyTuple_SET_ITEM(row, column++, Py_NewRef(best[SESSION]));
    PyTuple_SET_ITEM(row, column++, Py_NewRef(convention));
    PyTuple_SET_ITEM(row, column++, Py_NewRef(json));
    for (int i = 0; i < 6; i++) {
        if (head[i] == NULL || ended < 0) {
            Py_DECREF(row); /* the NULL items are skipped */
            return NULL;
        }
    }
    return row;
}
