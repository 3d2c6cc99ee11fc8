/* Attribute keys as str objects, shared from span to span.
 *
 * Keys repeat from span to span: the same str object (its hash computed once) is handed
 * out for the same key bytes, which also makes the plan lookup by key tuple cheap. A slot
 * holds the last key that hashed to it; whether the key is prompt content (starts with
 * one of the prefixes) is remembered with it.
 */
#include "wire.h"

#include <string.h>

enum { KEY_CACHE_SIZE = 1024, KEY_CACHE_MAX_LENGTH = 128 };

static int is_content_key(const unsigned char *key, Py_ssize_t length, PyObject *prefixes)
{
    Py_ssize_t count = PyTuple_GET_SIZE(prefixes);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *prefix = PyTuple_GET_ITEM(prefixes, i);
        Py_ssize_t size = PyBytes_GET_SIZE(prefix);
        const char *start = PyBytes_AS_STRING(prefix);
        if (size <= length && (size == 0 || key[0] == (unsigned char)start[0]) &&
            memcmp(key, start, (size_t)size) == 0)
            return 1;
    }
    return 0;
}

static struct {
    uint64_t hash;
    PyObject *key; /* owned */
    PyObject *prefixes; /* owned (so its address is not reused): `content` holds for it */
    int content;
} key_cache[KEY_CACHE_SIZE];

PyObject *wire_key(const unsigned char *p, Py_ssize_t length, PyObject *prefixes, int *content)
{
    uint64_t hash = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < length; i++)
        hash = (hash ^ p[i]) * 1099511628211ULL;
    size_t slot = (size_t)(hash ^ (hash >> 32)) & (KEY_CACHE_SIZE - 1);
    if (length <= KEY_CACHE_MAX_LENGTH) {
        PyObject *key = key_cache[slot].key;
        if (key != NULL && key_cache[slot].hash == hash && key_cache[slot].prefixes == prefixes &&
            PyUnicode_GET_LENGTH(key) == length && PyUnicode_IS_ASCII(key) &&
            memcmp(PyUnicode_DATA(key), p, (size_t)length) == 0) {
            *content = key_cache[slot].content;
            return Py_NewRef(key);
        }
    }
    *content = is_content_key(p, length, prefixes);
    PyObject *key = PyUnicode_DecodeUTF8((const char *)p, length, "strict");
    if (key != NULL && length <= KEY_CACHE_MAX_LENGTH && PyUnicode_IS_ASCII(key)) {
        if (PyObject_Hash(key) == -1) {
            Py_DECREF(key);
            return NULL;
        }
        /* The slot is whole again before the old objects go: freeing them may run Python
         * code (a bytes subclass's __del__), which may let another thread read the slot. */
        PyObject *old_key = key_cache[slot].key, *old_prefixes = key_cache[slot].prefixes;
        key_cache[slot].key = Py_NewRef(key);
        key_cache[slot].hash = hash;
        key_cache[slot].prefixes = Py_NewRef(prefixes);
        key_cache[slot].content = *content;
        Py_XDECREF(old_key);
        Py_XDECREF(old_prefixes);
    }
    return key;
}
