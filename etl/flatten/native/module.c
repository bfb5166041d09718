/* etl.flatten._native: the Python face of the native bill flattener.
 *
 *   flatten(bodies, day_start_us) -> (records, tables, others) | None
 *
 * bodies: the batch-query response bodies (bytes-like), each a JSON array of records.
 * day_start_us: when the business day starts, in microseconds after midnight.
 * records: how many records the bodies hold.
 * tables: {table: (rows, [column buffers, in schema order])}; a column's buffers are
 *   (null_count, validity or None, data, offsets or None, item offsets or None), the
 *   buffers of the Arrow format (etl/flatten/qianhub_native.py makes the arrays).
 * others: bytes of int64 quadruples (rec, body, start, end): the records handed back to the
 *   reference flattener, as spans of their body.
 * None: some body is not a JSON array as msgspec reads it (or memory ran out): nothing was
 *   kept, and the caller flattens the bodies the usual way.
 *
 * The bodies are read without the GIL: calls from several threads run at once.
 *
 * SOURCE_HASH: the fingerprint of the C sources the module was compiled from.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "bills.h"

static PyObject *bytes_of(const Buf *b) {
    return PyBytes_FromStringAndSize((const char *)b->p, (Py_ssize_t)b->len);
}

static PyObject *column_object(const Column *c) {
    int tags = c->kind == K_TAGS, strings = c->kind == K_STRING;
    PyObject *valid = c->nulls ? bytes_of(&c->valid) : Py_NewRef(Py_None);
    PyObject *data = bytes_of(&c->data);
    PyObject *offsets = strings || tags ? bytes_of(&c->offsets) : Py_NewRef(Py_None);
    PyObject *items = tags ? bytes_of(&c->item_offsets) : Py_NewRef(Py_None);
    PyObject *out = NULL;
    if (valid && data && offsets && items) {
        out = Py_BuildValue("(LOOOOL)", (long long)c->nulls, valid, data, offsets, items,
                            (long long)c->items);
    }
    Py_XDECREF(valid);
    Py_XDECREF(data);
    Py_XDECREF(offsets);
    Py_XDECREF(items);
    return out;
}

static PyObject *result_object(const Flattener *f) {
    PyObject *tables = PyDict_New();
    if (!tables) return NULL;
    for (int t = 0; t < table_count(); t++) {
        PyObject *columns = PyList_New(column_count(t));
        if (!columns) goto fail;
        for (int i = 0; i < column_count(t); i++) {
            PyObject *column = column_object(&f->columns[t][i]);
            if (!column) {
                Py_DECREF(columns);
                goto fail;
            }
            PyList_SET_ITEM(columns, i, column);
        }
        PyObject *entry = Py_BuildValue("(LN)", (long long)f->columns[t][0].n, columns);
        if (!entry || PyDict_SetItemString(tables, table_name(t), entry)) {
            Py_XDECREF(entry);
            goto fail;
        }
        Py_DECREF(entry);
    }
    PyObject *others = bytes_of(&f->others);
    if (!others) goto fail;
    return Py_BuildValue("(LNN)", (long long)f->records, tables, others);
fail:
    Py_DECREF(tables);
    return NULL;
}

/* Flatteners kept between calls, so that their buffers are not allocated (and faulted in
 * by the kernel, page by page) again for every unit: about a sixth of a call's time. Taken
 * and given back with the GIL held, which is the lock. */
#define POOL_SIZE 4
#define KEEP_BYTES ((size_t)256 << 20) /* a flattener that grew beyond this is freed */
static Flattener *pool[POOL_SIZE];
static int pooled;

static void give_back(Flattener *f) {
    if (pooled < POOL_SIZE && flattener_capacity(f) <= KEEP_BYTES) {
        pool[pooled++] = f;
    } else {
        flattener_free(f);
        PyMem_RawFree(f);
    }
}

static PyObject *flatten(PyObject *self, PyObject *args) {
    PyObject *bodies;
    long long day_start_us;
    if (!PyArg_ParseTuple(args, "OL:flatten", &bodies, &day_start_us)) return NULL;
    PyObject *seq = PySequence_Fast(bodies, "bodies must be a sequence of bytes");
    if (!seq) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq), held = 0;
    Py_buffer *views = PyMem_Calloc((size_t)(count ? count : 1), sizeof *views);
    int fresh = pooled == 0;
    Flattener *f = fresh ? PyMem_RawMalloc(sizeof *f) : pool[--pooled];
    PyObject *result = NULL;
    if (!views || !f) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held < count; held++) {
        PyObject *body = PySequence_Fast_GET_ITEM(seq, held);
        if (PyObject_GetBuffer(body, &views[held], PyBUF_SIMPLE)) goto done;
    }
    Status status = OK;
    Py_BEGIN_ALLOW_THREADS
    if (fresh) {
        status = flattener_init(f, day_start_us) ? OOM : OK;
        fresh = 0; /* initialised (or half-way): freed or pooled below, never dropped */
    } else {
        status = flattener_reset(f, day_start_us) ? OOM : OK;
    }
    for (Py_ssize_t i = 0; i < count && status == OK; i++) {
        status = flatten_body(f, views[i].buf, (size_t)views[i].len, i);
    }
    Py_END_ALLOW_THREADS
    result = status == OK ? result_object(f) : Py_NewRef(Py_None);
    if (status == OOM) {
        flattener_free(f);
        PyMem_RawFree(f);
    } else {
        give_back(f);
    }
    f = NULL;
done:
    for (Py_ssize_t i = 0; i < held; i++) PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    if (f) {
        if (fresh) {
            PyMem_RawFree(f); /* never initialised */
        } else {
            give_back(f);
        }
    }
    Py_DECREF(seq);
    return result;
}

static PyObject *describe_tables(PyObject *self, PyObject *unused) {
    PyObject *out = PyDict_New();
    if (!out) return NULL;
    for (int t = 0; t < table_count(); t++) {
        PyObject *columns = PyList_New(column_count(t));
        if (!columns) goto fail;
        for (int i = 0; i < column_count(t); i++) {
            ColumnInfo info = column_info(t, i);
            PyObject *pair = Py_BuildValue("(ss)", info.name, info.type);
            if (!pair) {
                Py_DECREF(columns);
                goto fail;
            }
            PyList_SET_ITEM(columns, i, pair);
        }
        int failed = PyDict_SetItemString(out, table_name(t), columns);
        Py_DECREF(columns);
        if (failed) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *describe_shapes(PyObject *self, PyObject *unused) {
    PyObject *out = PyDict_New();
    if (!out) return NULL;
    for (int s = 0; s < shape_count(); s++) {
        PyObject *fields = PyList_New(field_count(s));
        if (!fields) goto fail;
        for (int i = 0; i < field_count(s); i++) {
            FieldInfo info = field_info(s, i);
            PyObject *entry = Py_BuildValue("(ssO)", info.name, info.kind,
                                            info.required ? Py_True : Py_False);
            if (!entry) {
                Py_DECREF(fields);
                goto fail;
            }
            PyList_SET_ITEM(fields, i, entry);
        }
        int failed = PyDict_SetItemString(out, shape_name(s), fields);
        Py_DECREF(fields);
        if (failed) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef METHODS[] = {
    {"flatten", flatten, METH_VARARGS,
     "flatten(bodies, day_start_us) -> (records, tables, others) | None"},
    {"tables", describe_tables, METH_NOARGS, "tables() -> {table: [(column, arrow type)]}"},
    {"shapes", describe_shapes, METH_NOARGS, "shapes() -> {shape: [(field, kind, required)]}"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT, "_native",
    "The native cashier.finish flattener (see etl/flatten/qianhub_native.py).", -1, METHODS,
    NULL, NULL, NULL, NULL,
};

/* The fingerprint of the sources this was compiled from (setup.py passes it in; see
 * etl/flatten/native_sources.py): the Python side leaves a build of other sources unused. */
#ifndef NATIVE_SOURCE_HASH
#define NATIVE_SOURCE_HASH ""
#endif

PyMODINIT_FUNC PyInit__native(void) {
    bills_setup();
    PyObject *module = PyModule_Create(&MODULE);
    if (module && PyModule_AddStringConstant(module, "SOURCE_HASH", NATIVE_SOURCE_HASH)) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
