/* `scan_scope`: the spans of one ScopeSpans, and the records of those that may be model calls.
 *
 * Runs once per span of a whole fleet's traffic, of which most spans are HTTP or database
 * spans: those are only counted. A span is a candidate when its bytes contain one of the
 * `key_patterns` (`0x0A <length> <key>`, an attribute key that can make a span billable;
 * the pattern may run past the span, as when searching the whole message). Candidates
 * are read into records (`span_read.c`), or handed back as bytes for protobuf to decode
 * when their encoding is unusual. `length_fields` walks the levels above the same way.
 * Structure errors (as protobuf's Python reader defines them: varints of at most 10
 * bytes, lengths within the message, wire types 0, 1, 2 and 5, field numbers above 0)
 * raise ValueError, whose message the caller prefixes: the whole message is undecodable.
 */
#include "wire.h"

#include <string.h>

static int has_pattern(const unsigned char *data, size_t size, size_t begin, size_t finish,
                       PyObject *patterns)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(patterns); i++) {
        PyObject *pattern = PyTuple_GET_ITEM(patterns, i);
        size_t length = (size_t)PyBytes_GET_SIZE(pattern);
        size_t stop = finish - 1 + length; /* a match must start before `finish` */
        if (length == 0 || begin >= finish)
            continue;
        if (stop > size)
            stop = size;
        if (stop > begin && memmem(data + begin, stop - begin, PyBytes_AS_STRING(pattern), length))
            return 1;
    }
    return 0;
}

static int structure_error(const char *reason)
{
    PyErr_SetString(PyExc_ValueError, reason);
    return 0;
}

/* Read one field at `*cursor`, as protobuf's structure rules go. For a length-delimited
 * field, `*number` is its field number and `[*begin, *cursor)` its payload; for any other
 * field `*number` is UINT64_MAX (skipped: protobuf ignores a known field with the wrong
 * wire type). 0 with ValueError set when the bytes do not parse. */
static int scan_field(const unsigned char **cursor, const unsigned char *end, uint64_t *number,
                      const unsigned char **begin)
{
    const unsigned char *p = *cursor;
    uint64_t tag, length;
    int overflow = 0, length_overflow;
    if (*p < 0x80)
        tag = *p++;
    else if (!wire_varint_scan(&p, end, &tag, &overflow))
        return structure_error("bad varint");
    int wire_type = (int)(tag & 7);
    *number = overflow ? UINT64_MAX : tag >> 3;
    if (wire_type == 2) {
        if (!wire_varint_scan(&p, end, &length, &length_overflow))
            return structure_error("bad varint");
        if (length_overflow || length > (uint64_t)(end - p))
            return structure_error("truncated");
        *begin = p;
        p += length;
    } else if (wire_type == 0) {
        if (!wire_varint_scan(&p, end, &length, &length_overflow))
            return structure_error("bad varint");
        *number = UINT64_MAX;
    } else if (wire_type == 1 || wire_type == 5) {
        size_t skip = wire_type == 1 ? 8 : 4;
        if ((size_t)(end - p) < skip)
            return structure_error("bad field");
        p += skip;
        *number = UINT64_MAX;
    } else {
        PyErr_Format(PyExc_ValueError, "wire type %d", wire_type);
        return 0;
    }
    if (tag >> 3 == 0 && !overflow)
        return structure_error("bad field");
    *cursor = p;
    return 1;
}

static int check_bounds(PyObject *const *args, size_t size, Py_ssize_t *start, Py_ssize_t *stop)
{
    *start = PyLong_AsSsize_t(args[1]);
    if (*start == -1 && PyErr_Occurred())
        return -1;
    *stop = PyLong_AsSsize_t(args[2]);
    if (*stop == -1 && PyErr_Occurred())
        return -1;
    if (*start < 0 || *stop < *start || (size_t)*stop > size) {
        PyErr_SetString(PyExc_IndexError, "bounds outside the data");
        return -1;
    }
    return 0;
}

/* length_fields(data, start, end) -> [(number, start, end)] of the length-delimited fields
 * of the message `data[start:end]`. */
PyObject *length_fields(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    Py_ssize_t start, stop;
    if (nargs != 3 || !PyBytes_Check(args[0]) || !PyLong_Check(args[1]) ||
        !PyLong_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "length_fields(data: bytes, start: int, end: int)");
        return NULL;
    }
    const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    if (check_bounds(args, (size_t)PyBytes_GET_SIZE(args[0]), &start, &stop) < 0)
        return NULL;
    PyObject *fields = PyList_New(0);
    const unsigned char *p = data + start, *end = data + stop, *begin = NULL;
    while (fields != NULL && p < end) {
        uint64_t number;
        if (!scan_field(&p, end, &number, &begin)) {
            Py_CLEAR(fields);
            break;
        }
        if (number == UINT64_MAX)
            continue;
        PyObject *entry = Py_BuildValue("(Knn)", (unsigned long long)number, begin - data, p - data);
        if (entry == NULL || PyList_Append(fields, entry) < 0)
            Py_CLEAR(fields);
        Py_XDECREF(entry);
    }
    return fields;
}

static int add_span(const unsigned char *data, size_t begin, size_t finish, PyObject *prefixes,
                    PyObject *candidates)
{
    PyObject *record = wire_read_record(data + begin, (Py_ssize_t)(finish - begin), prefixes);
    if (record == Py_None) {
        Py_DECREF(record);
        record = PyBytes_FromStringAndSize((const char *)data + begin, (Py_ssize_t)(finish - begin));
    }
    if (record == NULL)
        return -1;
    int failed = PyList_Append(candidates, record);
    Py_DECREF(record);
    return failed;
}

/* scan_scope(data, start, end, key_patterns, content_prefixes)
 *   -> (span_count, scope parts as bytes, candidates as records or bytes) */
PyObject *scan_scope(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5 || !PyBytes_Check(args[0]) || !PyLong_Check(args[1]) ||
        !PyLong_Check(args[2]) || !PyTuple_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "scan_scope(data, start, end, key_patterns, prefixes)");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args[3]); i++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(args[3], i))) {
            PyErr_SetString(PyExc_TypeError, "key patterns must be bytes");
            return NULL;
        }
    }
    if (wire_check_prefixes(args[4]) < 0)
        return NULL;
    const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    size_t size = (size_t)PyBytes_GET_SIZE(args[0]);
    Py_ssize_t start, stop;
    if (check_bounds(args, size, &start, &stop) < 0)
        return NULL;
    PyObject *parts = PyList_New(0), *candidates = PyList_New(0);
    Py_ssize_t span_count = 0;
    const unsigned char *p = data + start, *end = data + stop, *begin = NULL;
    if (parts == NULL || candidates == NULL)
        goto fail;
    while (p < end) {
        uint64_t number;
        if (!scan_field(&p, end, &number, &begin))
            goto fail;
        if (number == 1) {
            PyObject *part = PyBytes_FromStringAndSize((const char *)begin, p - begin);
            if (part == NULL || PyList_Append(parts, part) < 0) {
                Py_XDECREF(part);
                goto fail;
            }
            Py_DECREF(part);
        } else if (number == 2) {
            span_count++;
            size_t from = (size_t)(begin - data), to = (size_t)(p - data);
            if (has_pattern(data, size, from, to, args[3]) &&
                add_span(data, from, to, args[4], candidates) < 0)
                goto fail;
        }
    }
    return Py_BuildValue("(nNN)", span_count, parts, candidates);
fail:
    Py_XDECREF(parts);
    Py_XDECREF(candidates);
    return NULL;
}
