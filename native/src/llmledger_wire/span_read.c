/* `read_span`: one serialized OTLP Span's ids, times and attributes, straight from its bytes.
 *
 * Attributes are read only in the canonical layout every exporter writes (KeyValue = key
 * then value; AnyValue = one string, bool, int or double). Anything else (arrays, kvlists,
 * bytes, groups, invalid UTF-8, deep nesting...) gives None, and the caller decodes the
 * span with protobuf instead: both ways give the same values. Values of prompt-content
 * keys are checked but not decoded (None): the normalizer never reads them.
 */
#include "wire.h"

#include <string.h>

enum { READ_FALLBACK = 0, READ_OK = 1, READ_ERROR = -1 };

static uint64_t little_endian_64(const unsigned char *p)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = (value << 8) | p[i];
    return value;
}

/* The scalar inside a canonical AnyValue `[p, end)` (non-empty), or NULL with no error set
 * when it is not canonical. */
static PyObject *scalar_value(const unsigned char *p, const unsigned char *end)
{
    unsigned char kind = *p++;
    uint64_t number;
    switch (kind) {
    case 0x0A: /* string_value */
        if (!wire_varint(&p, end, &number) || number != (uint64_t)(end - p) ||
            !wire_utf8_valid(p, end))
            return NULL;
        return PyUnicode_DecodeUTF8((const char *)p, end - p, "strict");
    case 0x18: /* int_value: int64, two's complement on the wire */
        if (!wire_varint(&p, end, &number) || p != end)
            return NULL;
        return PyLong_FromLongLong((long long)(int64_t)number);
    case 0x21: { /* double_value */
        if (end - p != 8)
            return NULL;
        uint64_t bits = little_endian_64(p);
        double value;
        memcpy(&value, &bits, sizeof value);
        return PyFloat_FromDouble(value);
    }
    case 0x10: /* bool_value, as exporters write it */
        if (end - p != 1 || *p > 1)
            return NULL;
        return PyBool_FromLong(*p);
    default:
        return NULL;
    }
}

/* Append one KeyValue `[p, end)` to keys and values. */
static int read_attribute(const unsigned char *p, const unsigned char *end, PyObject *prefixes,
                          PyObject *keys, PyObject *values)
{
    PyObject *key, *value;
    uint64_t key_length, value_length;
    int content = 0;
    if (p == end) { /* an empty KeyValue, as protobuf reads it */
        key = PyUnicode_FromStringAndSize(NULL, 0);
    } else {
        if (*p++ != 0x0A || !wire_varint(&p, end, &key_length) ||
            key_length > (uint64_t)(end - p) || !wire_utf8_valid(p, p + key_length))
            return READ_FALLBACK;
        key = wire_key(p, (Py_ssize_t)key_length, prefixes, &content);
        p += key_length;
    }
    if (key == NULL)
        return READ_ERROR;
    if (p == end) {
        value = Py_None; /* no value: an empty AnyValue */
        Py_INCREF(value);
    } else if (*p++ != 0x12 || !wire_varint(&p, end, &value_length) ||
               value_length != (uint64_t)(end - p)) {
        Py_DECREF(key);
        return READ_FALLBACK;
    } else if (p == end || content) { /* empty AnyValue; or prompt text, never read */
        if (content && !wire_valid_any_value(p, end)) {
            Py_DECREF(key);
            return READ_FALLBACK;
        }
        value = Py_None;
        Py_INCREF(value);
    } else {
        value = scalar_value(p, end);
        if (value == NULL) {
            Py_DECREF(key);
            return PyErr_Occurred() ? READ_ERROR : READ_FALLBACK;
        }
    }
    int failed = PyList_Append(keys, key) < 0 || PyList_Append(values, value) < 0;
    Py_DECREF(key);
    Py_DECREF(value);
    return failed ? READ_ERROR : READ_OK;
}

/* The span's fields: 0 when outside what this reader accepts, 1 when read, -1 on error. */
static int read_fields(const unsigned char *p, const unsigned char *end, PyObject *prefixes,
                       PyObject *keys, PyObject *values, Field ids[3], uint64_t times[2])
{
    while (p < end) {
        Field field;
        if (!wire_next_field(&p, end, &field))
            return READ_FALLBACK;
        int wire_type = field.wire_type;
        switch (field.number) {
        case 1: /* trace_id */
        case 2: /* span_id */
        case 4: /* parent_span_id: the last occurrence wins, as in protobuf */
            if (wire_type != 2)
                return READ_FALLBACK;
            ids[field.number == 4 ? 2 : field.number - 1] = field;
            break;
        case 3: /* trace_state */
        case 5: /* name */
            if (wire_type != 2 || !wire_utf8_valid(field.start, field.end))
                return READ_FALLBACK;
            break;
        case 6: /* kind */
        case 10: /* dropped_attributes_count */
        case 12: /* dropped_events_count */
        case 14: /* dropped_links_count */
            if (wire_type != 0)
                return READ_FALLBACK;
            break;
        case 7: /* start_time_unix_nano */
        case 8: /* end_time_unix_nano */
            if (wire_type != 1)
                return READ_FALLBACK;
            times[field.number - 7] = little_endian_64(field.start);
            break;
        case 9: { /* attributes */
            if (wire_type != 2)
                return READ_FALLBACK;
            int read = read_attribute(field.start, field.end, prefixes, keys, values);
            if (read != READ_OK)
                return read;
            break;
        }
        case 11: /* events */
        case 13: /* links */
        case 15: /* status */
            if (wire_type != 2)
                return READ_FALLBACK;
            if (!(field.number == 11   ? wire_valid_event(field.start, field.end)
                  : field.number == 13 ? wire_valid_link(field.start, field.end)
                                       : wire_valid_status(field.start, field.end)))
                return READ_FALLBACK;
            break;
        case 16: /* flags */
            if (wire_type != 5)
                return READ_FALLBACK;
            break;
        default: /* unknown fields: protobuf keeps them, the normalizer never reads them */
            break;
        }
    }
    return READ_OK;
}

static PyObject *id_bytes(const Field *field)
{
    if (field->start == NULL)
        return PyBytes_FromStringAndSize(NULL, 0);
    return PyBytes_FromStringAndSize((const char *)field->start, field->end - field->start);
}

/* The record of the serialized Span `[data, data + size)`: a new tuple, None, or NULL. */
PyObject *wire_read_record(const unsigned char *data, Py_ssize_t size, PyObject *prefixes)
{
    PyObject *keys = PyList_New(0), *values = PyList_New(0), *result = NULL;
    Field ids[3] = {{0}};
    uint64_t times[2] = {0, 0};
    if (keys == NULL || values == NULL)
        goto done;
    int read = read_fields(data, data + size, prefixes, keys, values, ids, times);
    if (read == READ_ERROR)
        goto done;
    if (read == READ_FALLBACK) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = Py_BuildValue("(NNNNNNO)", id_bytes(&ids[0]), id_bytes(&ids[1]), id_bytes(&ids[2]),
                           PyLong_FromUnsignedLongLong(times[0]),
                           PyLong_FromUnsignedLongLong(times[1]), PyList_AsTuple(keys), values);
done:
    Py_XDECREF(keys);
    Py_XDECREF(values);
    return result;
}

int wire_check_prefixes(PyObject *prefixes)
{
    if (!PyTuple_Check(prefixes))
        goto wrong;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(prefixes); i++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(prefixes, i)))
            goto wrong;
    }
    return 0;
wrong:
    PyErr_SetString(PyExc_TypeError, "content prefixes must be a tuple of bytes");
    return -1;
}

/* read_span(data, content_prefixes) -> (trace_id, span_id, parent_span_id,
 * start_time_unix_nano, end_time_unix_nano, keys, values) or None. */
PyObject *read_span(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "read_span(data: bytes, content_prefixes: tuple)");
        return NULL;
    }
    if (wire_check_prefixes(args[1]) < 0)
        return NULL;
    return wire_read_record((const unsigned char *)PyBytes_AS_STRING(args[0]),
                            PyBytes_GET_SIZE(args[0]), args[1]);
}
