/* The coercions the normalizer applies to attribute values.
 *
 * Emitters disagree on types: token counts usually arrive as ints, but some send doubles
 * (12.0) or strings ("12"); flags may be bools, 0/1 or "true". Each function returns a new
 * reference, Py_None when the value is unusable, NULL with an exception on error.
 */
#include "wire.h"

#include <math.h>

static PyObject *none(void)
{
    Py_INCREF(Py_None);
    return Py_None;
}

/* str's own method on a str (or subclass): always an exact str back, which the callers read
 * with the unchecked str macros; a subclass's override could hand back any object. */
static PyObject *call_method(PyObject *value, const char *name)
{
    return PyObject_CallMethod((PyObject *)&PyUnicode_Type, name, "O", value);
}

/* Trimmed non-empty text; numbers become their decimal spelling. */
PyObject *coerce_text(PyObject *value)
{
    if (PyUnicode_Check(value)) {
        Py_ssize_t length = PyUnicode_GET_LENGTH(value);
        if (length == 0)
            return none();
        if (PyUnicode_CheckExact(value) && !Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(value, 0)) &&
            !Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(value, length - 1))) {
            Py_INCREF(value); /* what str.strip() gives back: nothing to trim */
            return value;
        }
        PyObject *stripped = call_method(value, "strip");
        if (stripped != NULL && PyUnicode_GET_LENGTH(stripped) == 0) {
            Py_DECREF(stripped);
            return none();
        }
        return stripped;
    }
    if (PyBool_Check(value))
        return none();
    if (PyLong_Check(value) || PyFloat_Check(value))
        return PyObject_Str(value);
    return none();
}

/* A non-negative whole number (at most int64) from an int, an integral double or a numeric
 * string (read as float when it has '.', 'e' or 'E', else as int). */
PyObject *coerce_count(PyObject *value)
{
    if (PyBool_Check(value))
        return none();
    PyObject *owned = NULL;
    if (PyUnicode_Check(value)) {
        Py_ssize_t length = PyUnicode_GET_LENGTH(value);
        int decimal = PyUnicode_FindChar(value, '.', 0, length, 1) >= 0 ||
                      PyUnicode_FindChar(value, 'e', 0, length, 1) >= 0 ||
                      PyUnicode_FindChar(value, 'E', 0, length, 1) >= 0;
        owned = decimal ? PyFloat_FromString(value) : PyLong_FromUnicodeObject(value, 10);
        if (owned == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_ValueError))
                return NULL;
            PyErr_Clear();
            return none();
        }
        value = owned;
    }
    if (PyFloat_Check(value)) {
        double number = PyFloat_AS_DOUBLE(value);
        Py_XDECREF(owned);
        if (!isfinite(number) || floor(number) != number)
            return none();
        owned = value = PyLong_FromDouble(number);
        if (value == NULL)
            return NULL;
    }
    if (PyLong_Check(value)) {
        int overflow;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (number == -1 && PyErr_Occurred()) {
            Py_XDECREF(owned);
            return NULL;
        }
        if (overflow == 0 && number >= 0) {
            if (owned == NULL)
                Py_INCREF(value);
            return value;
        }
    }
    Py_XDECREF(owned);
    return none();
}

/* A boolean from a bool, 0/1 or "true"/"false"/"1"/"0" (any case, trimmed). */
PyObject *coerce_flag(PyObject *value)
{
    if (PyBool_Check(value)) {
        Py_INCREF(value);
        return value;
    }
    if (PyLong_Check(value)) {
        int overflow;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (number == -1 && PyErr_Occurred())
            return NULL;
        return overflow == 0 && (number == 0 || number == 1) ? PyBool_FromLong((long)number)
                                                              : none();
    }
    if (PyUnicode_Check(value)) {
        PyObject *stripped = call_method(value, "strip");
        if (stripped == NULL)
            return NULL;
        PyObject *word = call_method(stripped, "lower");
        Py_DECREF(stripped);
        if (word == NULL)
            return NULL;
        PyObject *flag = Py_None;
        if (PyUnicode_CompareWithASCIIString(word, "true") == 0 ||
            PyUnicode_CompareWithASCIIString(word, "1") == 0)
            flag = Py_True;
        else if (PyUnicode_CompareWithASCIIString(word, "false") == 0 ||
                 PyUnicode_CompareWithASCIIString(word, "0") == 0)
            flag = Py_False;
        Py_DECREF(word);
        Py_INCREF(flag);
        return flag;
    }
    return none();
}

PyObject *as_text(PyObject *module, PyObject *value)
{
    (void)module;
    return coerce_text(value);
}

PyObject *as_count(PyObject *module, PyObject *value)
{
    (void)module;
    return coerce_count(value);
}

PyObject *as_flag(PyObject *module, PyObject *value)
{
    (void)module;
    return coerce_flag(value);
}
