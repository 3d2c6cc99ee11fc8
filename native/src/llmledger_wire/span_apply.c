/* `extract_row`: a span's values through its plan, into one lake row.
 *
 * The plan (`span_extract._Plan`, made once per attribute key sequence in Python) says
 * everything the keys alone decide; this runs per span and only reads values: the first
 * usable alias of each slot wins, token counts that are not plain in-range ints are handed
 * to Python's `count_problem`, and the attributes no column used become JSON
 * (`rest_json.c`).
 *
 * Slot order (`span_extract._SLOTS`) is fixed in `wire.h`, the row layout in `lake_row.c`;
 * `span_extract` checks at import that they still match the lake schema.
 */
#include "wire.h"

enum { PLAN_CONVENTION, PLAN_OPERATIONS, PLAN_BILLABLE_WITHOUT_OPERATION, PLAN_SLOTS,
       PLAN_COUNTS, PLAN_KEPT, PLAN_RAW_USAGE, PLAN_FIELDS };
enum { RULE_OPERATIONS, RULE_SPELLINGS, RULE_COUNT_PROBLEM, RULE_RAW_USAGE, RULE_JSON_STRING,
       RULE_JSON, RULE_MAX_TOKENS, RULE_FIELDS };
enum { TEXT = 0, COUNT = 1, FLAG = 2 };

static PyObject *coerce(long kind, PyObject *value)
{
    return kind == COUNT ? coerce_count(value)
           : kind == FLAG ? coerce_flag(value)
                          : coerce_text(value);
}

/* values[position] (borrowed) for a position object of the plan; NULL with IndexError. */
static PyObject *value_at(PyObject *values, PyObject *position_object, Py_ssize_t *position)
{
    *position = PyLong_AsSsize_t(position_object);
    if (*position < 0 || *position >= PyList_GET_SIZE(values)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_IndexError, "plan position outside the span's attributes");
        return NULL;
    }
    return PyList_GET_ITEM(values, *position);
}

/* The billable operation (new reference), Py_None when the span is not a model call, or
 * NULL on error. */
static PyObject *operation_of(PyObject *plan, PyObject *values, char *used, PyObject *rules)
{
    PyObject *positions = PyTuple_GET_ITEM(plan, PLAN_OPERATIONS);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(positions); i++) {
        Py_ssize_t position;
        PyObject *value = value_at(values, PyTuple_GET_ITEM(positions, i), &position);
        PyObject *text = value == NULL ? NULL : coerce_text(value);
        if (text == NULL)
            return NULL;
        if (text == Py_None) {
            Py_DECREF(text);
            continue;
        }
        PyObject *lowered = PyObject_CallMethod(text, "lower", NULL);
        Py_DECREF(text);
        if (lowered == NULL)
            return NULL;
        PyObject *operation =
            PyDict_GetItemWithError(PyTuple_GET_ITEM(rules, RULE_OPERATIONS), lowered);
        Py_DECREF(lowered);
        if (operation == NULL)  /* agent, workflow, tool...: may repeat its children's usage */
            return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
        used[position] = 1;
        return Py_NewRef(operation);
    }
    int billable = PyObject_IsTrue(PyTuple_GET_ITEM(plan, PLAN_BILLABLE_WITHOUT_OPERATION));
    if (billable < 0)
        return NULL;
    return Py_NewRef(billable ? Py_Ellipsis : Py_None); /* Ellipsis: no operation named */
}

/* Fill `best` from the plan's slots: the first alias whose value coerces wins. */
static int fill_slots(PyObject *plan, PyObject *values, char *used, PyObject **best)
{
    PyObject *slots = PyTuple_GET_ITEM(plan, PLAN_SLOTS);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(slots); i++) {
        PyObject *entry = PyTuple_GET_ITEM(slots, i);
        Py_ssize_t slot = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 0));
        if (slot < 0 || slot >= SLOTS) {
            PyErr_SetString(PyExc_IndexError, "plan slot out of range");
            return -1;
        }
        PyObject *aliases = PyTuple_GET_ITEM(entry, 1);
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(aliases); j++) {
            PyObject *alias = PyTuple_GET_ITEM(aliases, j);
            Py_ssize_t position;
            PyObject *value = value_at(values, PyTuple_GET_ITEM(alias, 0), &position);
            PyObject *coerced =
                value == NULL ? NULL : coerce(PyLong_AsLong(PyTuple_GET_ITEM(alias, 1)), value);
            if (coerced == NULL)
                return -1;
            if (coerced != Py_None) {
                Py_SETREF(best[slot], coerced);
                used[position] = 1;
                break;
            }
            Py_DECREF(coerced);
        }
    }
    return 0;
}

/* NEGATIVE/ABSURD count problem of the first impossible token count (new reference). */
static PyObject *count_problem(PyObject *plan, PyObject *values, PyObject *rules)
{
    PyObject *positions = PyTuple_GET_ITEM(plan, PLAN_COUNTS);
    long long most = PyLong_AsLongLong(PyTuple_GET_ITEM(rules, RULE_MAX_TOKENS));
    if (most == -1 && PyErr_Occurred())
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(positions); i++) {
        Py_ssize_t position;
        PyObject *raw = value_at(values, PyTuple_GET_ITEM(positions, i), &position);
        if (raw == NULL)
            return NULL;
        if (PyLong_CheckExact(raw)) {
            int overflow;
            long long count = PyLong_AsLongLongAndOverflow(raw, &overflow);
            if (overflow == 0 && count >= 0 && count <= most)
                continue;
        }
        PyObject *problem = PyObject_CallOneArg(PyTuple_GET_ITEM(rules, RULE_COUNT_PROBLEM), raw);
        if (problem != Py_None)
            return problem;
        Py_DECREF(problem);
    }
    return Py_NewRef(Py_None);
}

/* Counts only a provider's raw usage object holds (Logfire), via Python's reader. */
static int fill_raw_usage(PyObject *plan, PyObject *values, PyObject *rules, PyObject **best)
{
    PyObject *position_object = PyTuple_GET_ITEM(plan, PLAN_RAW_USAGE);
    if (position_object == Py_None)
        return 0;
    Py_ssize_t position;
    PyObject *raw = value_at(values, position_object, &position);
    PyObject *list = raw == NULL ? NULL : PyList_New(SLOTS);
    if (list == NULL)
        return -1;
    for (int slot = 0; slot < SLOTS; slot++)
        PyList_SET_ITEM(list, slot, Py_NewRef(best[slot]));
    PyObject *done = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(rules, RULE_RAW_USAGE), list,
                                                  raw, NULL);
    int failed = done == NULL || PyList_GET_SIZE(list) != SLOTS;
    if (done != NULL && failed)
        PyErr_SetString(PyExc_RuntimeError, "the raw usage reader resized the slot list");
    for (int slot = 0; !failed && slot < SLOTS; slot++)
        Py_SETREF(best[slot], Py_NewRef(PyList_GET_ITEM(list, slot)));
    Py_XDECREF(done);
    Py_DECREF(list);
    return failed ? -1 : 0;
}

static PyObject *canonical_provider(PyObject *provider, PyObject *rules)
{
    PyObject *lowered = PyObject_CallMethod(provider, "lower", NULL);
    if (lowered == NULL)
        return NULL;
    PyObject *spelled = PyDict_GetItemWithError(PyTuple_GET_ITEM(rules, RULE_SPELLINGS), lowered);
    if (spelled == NULL && !PyErr_Occurred())
        return lowered;
    Py_XINCREF(spelled);
    Py_DECREF(lowered);
    return spelled;
}

static int check_arguments(PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs == 4 && PyTuple_Check(args[0]) && PyTuple_GET_SIZE(args[0]) >= PLAN_FIELDS &&
        PyTuple_Check(args[1]) && PyTuple_GET_SIZE(args[1]) == 7 &&
        PyBytes_Check(PyTuple_GET_ITEM(args[1], 0)) &&
        PyBytes_Check(PyTuple_GET_ITEM(args[1], 1)) &&
        PyBytes_Check(PyTuple_GET_ITEM(args[1], 2)) && PyList_Check(PyTuple_GET_ITEM(args[1], 6)) &&
        PyTuple_Check(args[2]) && PyTuple_GET_SIZE(args[2]) == 3 && PyTuple_Check(args[3]) &&
        PyTuple_GET_SIZE(args[3]) >= RULE_FIELDS)
        return 0;
    PyErr_SetString(PyExc_TypeError, "extract_row(plan, record, resource_facts, rules)");
    return -1;
}

/* extract_row(plan, record, resource_facts, rules) -> (row, count problem) or None. */
PyObject *extract_row(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (check_arguments(args, nargs) < 0)
        return NULL;
    PyObject *plan = args[0], *record = args[1], *facts = args[2], *rules = args[3];
    PyObject *values = PyTuple_GET_ITEM(record, 6);
    PyObject *best[SLOTS], *operation, *problem = NULL, *json = NULL, *row = NULL;
    PyObject *result = NULL;
    for (int slot = 0; slot < SLOTS; slot++)
        best[slot] = Py_NewRef(Py_None);
    char *used = PyMem_Calloc((size_t)PyList_GET_SIZE(values) + 1, 1);
    if (used == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    operation = operation_of(plan, values, used, rules);
    if (operation == NULL)
        goto done;
    if (operation == Py_None) {
        result = operation;
        goto done;
    }
    if (operation == Py_Ellipsis)
        Py_SETREF(operation, Py_NewRef(Py_None));
    if (fill_slots(plan, values, used, best) < 0 ||
        (problem = count_problem(plan, values, rules)) == NULL ||
        fill_raw_usage(plan, values, rules, best) < 0)
        goto finish;
    if (best[USAGE_MISSING] == Py_None) /* no explicit flag: no count means nothing to price */
        Py_SETREF(best[USAGE_MISSING],
                  PyBool_FromLong(best[INPUT] == Py_None && best[OUTPUT] == Py_None));
    if (best[PROVIDER] != Py_None) {
        PyObject *provider = canonical_provider(best[PROVIDER], rules);
        if (provider == NULL)
            goto finish;
        Py_SETREF(best[PROVIDER], provider);
    }
    json = unused_json(PyTuple_GET_ITEM(plan, PLAN_KEPT), values, used,
                       PyTuple_GET_ITEM(rules, RULE_JSON_STRING),
                       PyTuple_GET_ITEM(rules, RULE_JSON));
    if (json != NULL)
        row = lake_row(record, facts, operation, best, PyTuple_GET_ITEM(plan, PLAN_CONVENTION),
                       json);
    if (row != NULL)
        result = PyTuple_Pack(2, row, problem);
finish:
    Py_DECREF(operation);
done:
    PyMem_Free(used);
    for (int slot = 0; slot < SLOTS; slot++)
        Py_DECREF(best[slot]);
    Py_XDECREF(problem);
    Py_XDECREF(json);
    Py_XDECREF(row);
    return result;
}
