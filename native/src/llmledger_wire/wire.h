/* Shared by the C files of `llmledger_wire._wire`. */
#ifndef LLMLEDGER_WIRE_H
#define LLMLEDGER_WIRE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* One field header and, for fixed-size and length-delimited fields, the payload bounds. */
typedef struct {
    uint64_t number;
    int wire_type;
    uint64_t varint;
    const unsigned char *start, *end;
} Field;

int wire_varint(const unsigned char **cursor, const unsigned char *end, uint64_t *out);
int wire_varint_scan(const unsigned char **cursor, const unsigned char *end, uint64_t *out,
                     int *overflow);
int wire_next_field(const unsigned char **cursor, const unsigned char *end, Field *field);
int wire_utf8_valid(const unsigned char *p, const unsigned char *end);
int wire_valid_status(const unsigned char *p, const unsigned char *end);
int wire_valid_event(const unsigned char *p, const unsigned char *end);
int wire_valid_link(const unsigned char *p, const unsigned char *end);
int wire_valid_any_value(const unsigned char *p, const unsigned char *end);

/* The str of valid UTF-8 key bytes (new reference); `content` when it is prompt text. */
PyObject *wire_key(const unsigned char *p, Py_ssize_t length, PyObject *prefixes, int *content);
PyObject *wire_read_record(const unsigned char *data, Py_ssize_t size, PyObject *prefixes);
int wire_check_prefixes(PyObject *prefixes);

PyObject *length_fields(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *scan_scope(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *read_span(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *extract_row(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *as_text(PyObject *module, PyObject *value);
PyObject *as_count(PyObject *module, PyObject *value);
PyObject *as_flag(PyObject *module, PyObject *value);

/* Slots filled from attributes, in `span_extract._SLOTS` order. */
enum { PROVIDER = 0, REQUEST_MODEL = 1, INPUT = 4, OUTPUT = 8, USAGE_MISSING = 13, FEATURE = 14,
       TEAM = 15, USER = 16, SESSION = 17, SLOTS = 18 };

PyObject *lake_row(PyObject *record, PyObject *facts, PyObject *operation, PyObject **best,
                   PyObject *convention, PyObject *json);

/* The JSON of the kept attributes (plan entries (position, key, JSON key)) not `used`. */
PyObject *unused_json(PyObject *kept, PyObject *values, const char *used,
                      PyObject *string_encoder, PyObject *encoder);

/* The coercions, returning a new reference (Py_None when unusable) or NULL on error. */
PyObject *coerce_text(PyObject *value);
PyObject *coerce_count(PyObject *value);
PyObject *coerce_flag(PyObject *value);

#endif
