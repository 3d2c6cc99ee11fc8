/* The attributes no lake column used, as JSON for `attributes_json`.
 *
 * Written exactly as `json.dumps(attributes, sort_keys=True, separators=(",", ":"))` would
 * write them: the plan gives the keys sorted and already encoded, strings go through
 * json's own escaping, numbers are spelled as json spells them. A list or dict value
 * (read by protobuf from an array or kvlist attribute) hands the whole object to json.
 */
#include "wire.h"

#include <math.h>
#include <string.h>

typedef struct {
    char *data;
    size_t size, capacity;
} Buffer;

static int buffer_add(Buffer *buffer, const char *text, size_t size)
{
    if (buffer->size + size > buffer->capacity) {
        size_t capacity = (buffer->capacity + size) * 2;
        char *grown = PyMem_Realloc(buffer->data, capacity);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, text, size);
    buffer->size += size;
    return 0;
}

static int buffer_add_str(Buffer *buffer, PyObject *text)
{
    if (text == NULL)
        return -1;
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    int failed = utf8 == NULL || buffer_add(buffer, utf8, (size_t)size) < 0;
    Py_DECREF(text);
    return failed ? -1 : 0;
}

/* One JSON scalar as json.dumps writes it: 1 written, 0 not a scalar, -1 error. */
static int json_scalar(Buffer *buffer, PyObject *value, PyObject *string_encoder)
{
    if (value == Py_None)
        return buffer_add(buffer, "null", 4) < 0 ? -1 : 1;
    if (value == Py_True || value == Py_False)
        return buffer_add(buffer, value == Py_True ? "true" : "false",
                          value == Py_True ? 4 : 5) < 0 ? -1 : 1;
    if (PyLong_CheckExact(value))
        return buffer_add_str(buffer, PyObject_Repr(value)) < 0 ? -1 : 1;
    if (PyFloat_CheckExact(value)) {
        double number = PyFloat_AS_DOUBLE(value);
        if (isnan(number))
            return buffer_add(buffer, "NaN", 3) < 0 ? -1 : 1;
        if (isinf(number))
            return buffer_add(buffer, number > 0 ? "Infinity" : "-Infinity",
                              number > 0 ? 8 : 9) < 0 ? -1 : 1;
        return buffer_add_str(buffer, PyObject_Repr(value)) < 0 ? -1 : 1;
    }
    if (PyUnicode_CheckExact(value))
        return buffer_add_str(buffer, PyObject_CallOneArg(string_encoder, value)) < 0 ? -1 : 1;
    return 0;
}

/* The position of a kept entry, checked against the span's values (`used` has one flag
 * per value); -1 with IndexError when outside them. */
static Py_ssize_t kept_position(PyObject *entry, PyObject *values)
{
    Py_ssize_t position = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 0));
    if (position < 0 || position >= PyList_GET_SIZE(values)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_IndexError, "plan position outside the span's attributes");
        return -1;
    }
    return position;
}

/* The attributes no column used, as sorted compact JSON; None when there are none. */
PyObject *unused_json(PyObject *kept, PyObject *values, const char *used,
                      PyObject *string_encoder, PyObject *encoder)
{
    Buffer buffer = {NULL, 0, 0};
    PyObject *result = NULL, *rest = NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kept); i++) {
        PyObject *entry = PyTuple_GET_ITEM(kept, i);
        Py_ssize_t position = kept_position(entry, values);
        if (position < 0)
            goto done;
        if (used[position])
            continue;
        if (buffer_add(&buffer, buffer.size ? "," : "{", 1) < 0 ||
            buffer_add_str(&buffer, Py_NewRef(PyTuple_GET_ITEM(entry, 2))) < 0)
            goto done;
        int written = json_scalar(&buffer, PyList_GET_ITEM(values, position),
                                  string_encoder);
        if (written < 0)
            goto done;
        if (written == 0) { /* a list or dict (read by protobuf): json itself encodes all */
            rest = PyDict_New();
            for (Py_ssize_t j = 0; rest != NULL && j < PyTuple_GET_SIZE(kept); j++) {
                PyObject *other = PyTuple_GET_ITEM(kept, j);
                Py_ssize_t at = kept_position(other, values);
                if (at < 0 || (!used[at] && PyDict_SetItem(rest, PyTuple_GET_ITEM(other, 1),
                                                PyList_GET_ITEM(values, at)) < 0))
                    goto done;
            }
            if (rest != NULL)
                result = PyObject_CallOneArg(encoder, rest);
            goto done;
        }
    }
    if (buffer.size == 0)
        result = Py_NewRef(Py_None);
    else if (buffer_add(&buffer, "}", 1) == 0)
        result = PyUnicode_DecodeASCII(buffer.data, (Py_ssize_t)buffer.size, "strict");
done:
    PyMem_Free(buffer.data);
    Py_XDECREF(rest);
    return result;
}
