/*
 * python/ringsweep/_core.c - the CPython extension under `import
 * ringsweep`: a sweep of the library (ringsweep/sweep.h) whose objective
 * is a Python callable, and the registry's algorithms for an ask/tell
 * loop.  Policy lives in the library; the Pythonic shape lives in
 * ringsweep/__init__.py; this file only converts and calls.
 *
 * The zygote.  Workers are forks of this interpreter made after the
 * caller's module and data were loaded, so the callable and its data
 * reach them by fork, never by pickling.  The supervisor is forked with
 * the GIL held, between PyOS_BeforeFork and PyOS_AfterFork_Parent; every
 * worker (forked by the supervisor from that snapshot, also when it
 * replaces a dead one) starts with PyOS_AfterFork_Child and then holds
 * its own interpreter's GIL for life.  The driver releases the GIL while
 * the sweep runs; in serial mode the objective takes it back per call.
 *
 * Parameters reach the callable as keyword arguments (or one dict),
 * typed from the space: int and logint as int, floats as float, a
 * category as its label, a choice as its value (int when every choice
 * is whole).  It returns a number, or a dict of "value" and the metrics
 * it declared; an exception is a failed task whose text ("Type: text
 * (file:line)") is stored with it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#ifdef RSW_HAVE_MPI
#include "ringsweep/mpi.h"
#endif
#include "ringsweep/ringsweep.h"

#define MESSAGE_MAX 512 /* bytes of an exception's text kept per task */

static PyObject *SweepError;	/* ringsweep.SweepError (RuntimeError) */
static PyObject *StoreError;	/* ... the results store failed */
static PyObject *TaskFailed;	/* ... on_error="fail" stopped the sweep */
static PyObject *Infeasible;	/* ... raised by an objective: status infeasible */
static PyObject *Pruned;	/* ... raised by an objective told to stop */

/* ------------------------------------------------------- values, typed */

enum value_kind { V_INT, V_FLOAT, V_LABEL };

/* How the parameters of one space become Python values. */
struct typed_space {
	uint32_t n;
	uint8_t kind[RSW_MAX_PARAMS_LIMIT];
	PyObject *names;			/* tuple of str */
	PyObject *labels[RSW_MAX_PARAMS_LIMIT]; /* V_LABEL: tuple of str */
};

static void
typed_space_clear(struct typed_space *t)
{
	Py_CLEAR(t->names);
	for (uint32_t i = 0; i < RSW_MAX_PARAMS_LIMIT; i++)
		Py_CLEAR(t->labels[i]);
	t->n = 0;
}

static int
typed_space_init(struct typed_space *t, const rsw_space *sp)
{
	memset(t, 0, sizeof *t);
	t->names = PyTuple_New(sp->n);
	if (t->names == NULL)
		return -1;
	t->n = sp->n;
	for (uint32_t i = 0; i < sp->n; i++) {
		const rsw_param *p = &sp->params[i];
		PyObject *name = PyUnicode_InternFromString(p->name);

		if (name == NULL)
			goto fail;
		PyTuple_SET_ITEM(t->names, i, name);
		if (p->kind == RSW_PARAM_CAT) {
			t->kind[i] = V_LABEL;
			t->labels[i] = PyTuple_New(p->ncat);
			if (t->labels[i] == NULL)
				goto fail;
			for (uint32_t k = 0; k < p->ncat; k++) {
				PyObject *l = PyUnicode_FromString(p->cat[k]);

				if (l == NULL)
					goto fail;
				PyTuple_SET_ITEM(t->labels[i], k, l);
			}
		} else if (rsw_param_is_integral(p)) {
			t->kind[i] = V_INT;
		} else {
			t->kind[i] = V_FLOAT;
		}
	}
	return 0;
fail:
	typed_space_clear(t);
	return -1;
}

/* A new reference to parameter i's value v as the objective receives it. */
static PyObject *
typed_value(const struct typed_space *t, uint32_t i, double v)
{
	switch (t->kind[i]) {
	case V_INT:
		return PyLong_FromLongLong((long long)v);
	case V_LABEL: {
		Py_ssize_t k = (Py_ssize_t)v;

		if (v >= 0 && k < PyTuple_GET_SIZE(t->labels[i]))
			return Py_NewRef(PyTuple_GET_ITEM(t->labels[i], k));
		break;
	}
	default:
		break;
	}
	return PyFloat_FromDouble(v);
}

/* {name: value} of a parameter vector (a new reference, or NULL). */
static PyObject *
typed_dict(const struct typed_space *t, const double *x)
{
	PyObject *d = PyDict_New();

	for (uint32_t i = 0; d != NULL && i < t->n; i++) {
		PyObject *v = typed_value(t, i, x[i]);

		if (v == NULL || PyDict_SetItem(d, PyTuple_GET_ITEM(t->names, i), v) != 0)
			Py_CLEAR(d);
		Py_XDECREF(v);
	}
	return d;
}

/* Parameter specs ("name=kind:...") into a space; ValueError naming the
 * culprit on a bad one. */
static int
space_from_specs(rsw_space *sp, PyObject *specs)
{
	PyObject *seq = PySequence_Fast(specs, "the parameter specs must be a sequence");
	char err[512];

	if (seq == NULL)
		return -1;
	rsw_space_init(sp);
	for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
		const char *spec = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));

		if (spec == NULL || rsw_space_add(sp, spec, err, sizeof err) != 0) {
			if (spec != NULL)
				PyErr_SetString(PyExc_ValueError, err);
			Py_DECREF(seq);
			return -1;
		}
	}
	Py_DECREF(seq);
	if (sp->n == 0) {
		PyErr_SetString(PyExc_ValueError, "the space has no parameters");
		return -1;
	}
	return 0;
}

/* The specs a space reads back as, one str each. */
static PyObject *
specs_of(const rsw_space *sp)
{
	PyObject *l = PyList_New(sp->n);
	char buf[RSW_PARAM_SPEC_MAX];

	for (uint32_t i = 0; l != NULL && i < sp->n; i++) {
		PyObject *s = PyUnicode_FromString(rsw_param_spec(&sp->params[i], buf,
								  sizeof buf));
		if (s == NULL)
			Py_CLEAR(l);
		else
			PyList_SET_ITEM(l, i, s);
	}
	return l;
}

/* ------------------------------------------------- the Python objective */

struct py_objective {
	PyObject *fn;		   /* the callable */
	PyObject *on_worker_start; /* called first in each worker, or NULL */
	struct typed_space space;
	PyObject *metric_names;	   /* tuple of str */
	PyObject *value_key;	   /* "value" */
	int as_dict;		   /* fn(params) rather than fn(**params) */
	int in_worker;		   /* this process's GIL is ours for good */
	pid_t driver_pid;	   /* the process that made it */
};

static void
objective_free(struct py_objective *o)
{
	if (o == NULL)
		return;
	Py_CLEAR(o->fn);
	Py_CLEAR(o->on_worker_start);
	Py_CLEAR(o->metric_names);
	Py_CLEAR(o->value_key);
	typed_space_clear(&o->space);
	PyMem_RawFree(o);
}

/* The innermost frame of a traceback as " (file.py:42)", or "". */
static void
where_raised(PyObject *tb, char *out, size_t n)
{
	PyObject *next, *frame = NULL, *code = NULL, *file = NULL, *line = NULL;

	out[0] = '\0';
	if (tb == NULL)
		return;
	Py_INCREF(tb);
	while ((next = PyObject_GetAttrString(tb, "tb_next")) != NULL && next != Py_None) {
		Py_DECREF(tb);
		tb = next;
	}
	Py_XDECREF(next);
	frame = PyObject_GetAttrString(tb, "tb_frame");
	line = PyObject_GetAttrString(tb, "tb_lineno");
	code = frame ? PyObject_GetAttrString(frame, "f_code") : NULL;
	file = code ? PyObject_GetAttrString(code, "co_filename") : NULL;
	if (file != NULL && line != NULL && PyUnicode_Check(file)) {
		const char *f = PyUnicode_AsUTF8(file), *base;

		if (f != NULL) {
			base = strrchr(f, '/');
			snprintf(out, n, " (%s:%ld)", base ? base + 1 : f,
				 PyLong_AsLong(line));
		}
	}
	PyErr_Clear();
	Py_XDECREF(frame);
	Py_XDECREF(code);
	Py_XDECREF(file);
	Py_XDECREF(line);
	Py_DECREF(tb);
}

/* How many of the first `len` bytes of UTF-8 text fit in `room` bytes
 * without cutting a character in two (a store column is UTF-8 text). */
static size_t
utf8_fit(const char *text, size_t len, size_t room)
{
	if (len <= room)
		return len;
	while (room > 0 && ((unsigned char)text[room] & 0xC0) == 0x80)
		room--;
	return room;
}

/* The pending exception, cleared, into out: "Type: text (file:line)",
 * the text shortened (at a character) so the place always fits, and
 * ENOMEM for a MemoryError (the memory limit: an `oom` result). */
static void
take_exception(rsw_eval_out *out)
{
	PyObject *type, *value, *tb, *text = NULL;

	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	out->error_code = type != NULL &&
				  PyErr_GivenExceptionMatches(type, PyExc_MemoryError) ?
			  ENOMEM : 1;
	if (out->message != NULL) {
		const char *t = NULL, *name = type != NULL ?
			((PyTypeObject *)type)->tp_name : "Exception";
		char where[256];
		Py_ssize_t tlen = 0;
		size_t fixed, room, fit;

		if (value != NULL && (text = PyObject_Str(value)) != NULL)
			t = PyUnicode_AsUTF8AndSize(text, &tlen);
		PyErr_Clear();
		where_raised(tb, where, sizeof where);
		fixed = strlen(name) + 2 + strlen(where) + 3 + 1;
		room = out->message_max > fixed ? out->message_max - fixed : 0;
		fit = t != NULL ? utf8_fit(t, (size_t)tlen, room) : 0;
		snprintf(out->message, out->message_max, "%s%s%.*s%s%s", name,
			 t != NULL && tlen > 0 ? ": " : "", (int)fit, t != NULL ? t : "",
			 fit < (size_t)tlen ? "..." : "", where);
	}
	Py_XDECREF(text);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

static int
score_error(rsw_eval_out *out, const char *fmt, const char *what)
{
	out->error_code = EINVAL;
	if (out->message != NULL) {
		int n = snprintf(out->message, out->message_max, fmt, what);

		if (n >= (int)out->message_max) /* cut: not inside a character */
			out->message[utf8_fit(out->message, (size_t)n,
					      out->message_max - 1)] = '\0';
	}
	return -1;
}

/* One number of the objective's answer; -1 with the error taken. */
static int
number_of(PyObject *v, double *x, rsw_eval_out *out)
{
	*x = PyFloat_AsDouble(v);
	if (*x == -1.0 && PyErr_Occurred()) {
		take_exception(out);
		return -1;
	}
	return 0;
}

/* A number, or {"value": number, metric: number...} with exactly the
 * metrics declared. */
static int
read_score(const struct py_objective *o, PyObject *res, rsw_eval_out *out)
{
	Py_ssize_t nm = PyTuple_GET_SIZE(o->metric_names);

	if (PyDict_Check(res)) {
		PyObject *v = PyDict_GetItemWithError(res, o->value_key), *key, *item;
		Py_ssize_t pos = 0;

		if (v == NULL)
			return PyErr_Occurred() ? (take_exception(out), -1) :
			       score_error(out, "the objective returned a dict without "
					   "'value'%s", "");
		if (number_of(v, &out->value, out) != 0)
			return -1;
		for (Py_ssize_t m = 0; m < nm; m++) {
			PyObject *name = PyTuple_GET_ITEM(o->metric_names, m);

			item = PyDict_GetItemWithError(res, name);
			if (item == NULL)
				return PyErr_Occurred() ? (take_exception(out), -1) :
				       score_error(out, "the objective returned no '%s', "
						   "which metrics= declares",
						   PyUnicode_AsUTF8(name));
			if (number_of(item, &out->metrics[m], out) != 0)
				return -1;
		}
		out->nmetrics = (uint32_t)nm;
		if (PyDict_GET_SIZE(res) == nm + 1)
			return 0;
		/* Something undeclared: name it rather than drop it.  The
		 * comparisons may run Python code (a key's __eq__): the key is
		 * held while they do, and an error they raise is the task's. */
		while (PyDict_Next(res, &pos, &key, &item)) {
			int known;

			Py_INCREF(key);
			known = PyObject_RichCompareBool(key, o->value_key, Py_EQ);
			if (known == 0)
				known = PySequence_Contains(o->metric_names, key);
			if (known < 0) {
				Py_DECREF(key);
				take_exception(out);
				return -1;
			}
			if (!known) {
				PyObject *r = PyObject_Repr(key);
				int rc = score_error(out, "the objective returned %s, which "
						     "metrics= does not declare",
						     r ? PyUnicode_AsUTF8(r) : "a key");

				Py_XDECREF(r);
				Py_DECREF(key);
				PyErr_Clear();
				return rc;
			}
			Py_DECREF(key);
		}
		return 0;
	}
	if (res == Py_None)
		return score_error(out, "the objective returned None%s: return a "
				   "number, or a dict with 'value'", "");
	if (!PyFloat_Check(res) && !PyLong_Check(res) && !PyNumber_Check(res))
		return score_error(out, "the objective returned a %s: return a number, "
				   "or a dict with 'value'", Py_TYPE(res)->tp_name);
	return number_of(res, &out->value, out);
}

/* The task being evaluated in this process, for ringsweep.task(): set
 * around each call (calls never overlap: they hold the GIL). */
static rsw_task_info current_task = { .worker = -1 };
static int in_task;

static int
py_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	rsw_eval_out *out)
{
	struct py_objective *o = ctx;
	PyObject *args[1 + RSW_MAX_PARAMS_LIMIT], *res = NULL;
	PyGILState_STATE gil = PyGILState_UNLOCKED;
	rsw_task_info outer_task;
	int outer_in_task;
	uint32_t made = 0;
	int rc = -1;

	if (!o->in_worker)
		gil = PyGILState_Ensure();
	if (n != o->space.n) {
		score_error(out, "%s: the parameters do not match the space", "ringsweep");
		goto out;
	}
	/* args[0] is the spare slot PY_VECTORCALL_ARGUMENTS_OFFSET allows
	 * the callee to use. */
	for (; made < n; made++) {
		args[1 + made] = typed_value(&o->space, made, x[made]);
		if (args[1 + made] == NULL) {
			take_exception(out);
			goto out;
		}
	}
	/* A serial objective may run a sweep of its own: its task() is
	 * whatever it was again once that returns. */
	outer_task = current_task;
	outer_in_task = in_task;
	current_task = *t;
	in_task = 1;
	if (o->as_dict) {
		PyObject *d = PyDict_New();

		for (uint32_t i = 0; d != NULL && i < n; i++)
			if (PyDict_SetItem(d, PyTuple_GET_ITEM(o->space.names, i),
					   args[1 + i]) != 0)
				Py_CLEAR(d);
		res = d != NULL ? PyObject_CallOneArg(o->fn, d) : NULL;
		Py_XDECREF(d);
	} else {
		res = PyObject_Vectorcall(o->fn, args + 1,
					  0 | PY_VECTORCALL_ARGUMENTS_OFFSET,
					  o->space.names);
	}
	current_task = outer_task;
	in_task = outer_in_task;
	if (res == NULL) {
		/* ringsweep.Infeasible: the point has no meaning, which is
		 * not a failure. */
		if (PyErr_ExceptionMatches(Infeasible)) {
			PyErr_Clear();
			rc = RSW_EVAL_INFEASIBLE;
			goto out;
		}
		/* ringsweep.Pruned: it stopped as report() asked. */
		if (PyErr_ExceptionMatches(Pruned)) {
			PyErr_Clear();
			rc = RSW_EVAL_PRUNED;
			goto out;
		}
		take_exception(out);
		goto out;
	}
	rc = read_score(o, res, out);
out:
	Py_XDECREF(res);
	for (uint32_t i = 0; i < made; i++)
		Py_DECREF(args[1 + i]);
	if (!o->in_worker)
		PyGILState_Release(gil);
	return rc;
}

/* First thing in each worker process: it is a fork of the driver, made
 * while it held the GIL; the interpreter takes over here.  In the driver
 * itself (serial mode calls worker_init too) there is nothing to take
 * over, and the start hook (which sets this process's stdio up as a
 * worker's) is not the driver's. */
static int
py_worker_init(void *ctx, int worker)
{
	struct py_objective *o = ctx;
	PyObject *r;

	if (worker < 0 || getpid() == o->driver_pid)
		return 0;
	PyOS_AfterFork_Child();
	o->in_worker = 1;
	if (o->on_worker_start == NULL)
		return 0;
	r = PyObject_CallFunction(o->on_worker_start, "i", worker);
	if (r == NULL) {
		/* The worker exits; the supervisor counts it toward the crash
		 * loop, which ends the sweep if it never works. */
		PyErr_Print();
		return -1;
	}
	Py_DECREF(r);
	return 0;
}

static struct py_objective *
objective_new(PyObject *fn, PyObject *on_worker_start, int as_dict)
{
	struct py_objective *o = PyMem_RawCalloc(1, sizeof *o);

	if (o == NULL) {
		PyErr_NoMemory();
		return NULL;
	}
	o->fn = Py_NewRef(fn);
	o->on_worker_start = on_worker_start != Py_None ? Py_NewRef(on_worker_start) : NULL;
	o->as_dict = as_dict;
	o->driver_pid = getpid();
	o->value_key = PyUnicode_InternFromString("value");
	if (o->value_key == NULL) {
		objective_free(o);
		return NULL;
	}
	return o;
}

/* Binds the objective to the space and metrics it will be called with. */
static int
objective_bind(struct py_objective *o, const rsw_space *sp, uint32_t nmetrics,
	       const char *const *metric_names)
{
	if (typed_space_init(&o->space, sp) != 0)
		return -1;
	o->metric_names = PyTuple_New(nmetrics);
	for (uint32_t m = 0; o->metric_names != NULL && m < nmetrics; m++) {
		PyObject *s = PyUnicode_InternFromString(metric_names[m]);

		if (s == NULL)
			return -1;
		PyTuple_SET_ITEM(o->metric_names, m, s);
	}
	return o->metric_names != NULL ? 0 : -1;
}

/* ------------------------------------------------- rows, as committed */

/* One committed evaluation, without its vectors. */
struct row_head {
	uint64_t seq;
	uint64_t elapsed_ns;
	double value;
	int32_t status;
	int32_t detail;
	int32_t worker;
	uint32_t attempts;
};

/* Every committed evaluation, kept in C while the GIL is released. */
struct rows {
	size_t n, cap;
	uint32_t nparams, nmetrics;
	double *params;	 /* n x nparams */
	double *metrics; /* n x nmetrics (NaN: none) */
	struct row_head *head;
	char **message;	 /* malloc'd, or NULL */
};

static void
rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->message[i]);
	free(r->params);
	free(r->metrics);
	free(r->head);
	free(r->message);
	memset(r, 0, sizeof *r);
}

static int
rows_grow(struct rows *r)
{
	size_t cap = r->cap ? r->cap * 2 : 4096;
	double *p = realloc(r->params, cap * (r->nparams ? r->nparams : 1) * sizeof *p);
	double *m;
	struct row_head *h;
	char **msg;

	if (p == NULL)
		return -1;
	r->params = p;
	m = realloc(r->metrics, cap * (r->nmetrics ? r->nmetrics : 1) * sizeof *m);
	if (m == NULL)
		return -1;
	r->metrics = m;
	h = realloc(r->head, cap * sizeof *h);
	if (h == NULL)
		return -1;
	r->head = h;
	msg = realloc(r->message, cap * sizeof *msg);
	if (msg == NULL)
		return -1;
	r->message = msg;
	r->cap = cap;
	return 0;
}

/* ------------------------------------------------------------- Sweep */

/*
 * A Python constraint (the callables of constraints=), called in the
 * driver as the objective is in a worker: fn(**params), or fn(params).
 * Its first exception stops the sweep (a drain: what runs is committed)
 * and is raised by the call that opened or ran it; every later point is
 * then infeasible, without Python.
 */
struct py_feasible {
	PyObject *fn;
	int as_dict;
	struct typed_space space; /* built at the first call */
	PyObject *exc_type, *exc_value, *exc_tb;
	rsw_sweep *sw;		  /* stopped on an exception, once open */
};

static int
py_feasible_call(void *ctx, const rsw_space *sp, const double *x)
{
	struct py_feasible *f = ctx;
	PyGILState_STATE gil;
	PyObject *params = NULL, *res = NULL, *empty = NULL;
	int ok = 0;

	if (f->exc_type != NULL)
		return 0;
	gil = PyGILState_Ensure();
	if (f->space.names == NULL && typed_space_init(&f->space, sp) != 0)
		goto out;
	params = typed_dict(&f->space, x);
	if (params == NULL)
		goto out;
	if (f->as_dict) {
		res = PyObject_CallOneArg(f->fn, params);
	} else if ((empty = PyTuple_New(0)) != NULL) {
		res = PyObject_Call(f->fn, empty, params);
	}
	if (res != NULL && (ok = PyObject_IsTrue(res)) < 0)
		ok = 0;
out:
	if (PyErr_Occurred()) {
		PyErr_Fetch(&f->exc_type, &f->exc_value, &f->exc_tb);
		ok = 0;
		if (f->sw != NULL)
			rsw_sweep_stop(f->sw);
	}
	Py_XDECREF(res);
	Py_XDECREF(params);
	Py_XDECREF(empty);
	PyGILState_Release(gil);
	return ok;
}

static void
py_feasible_free(struct py_feasible *f)
{
	if (f == NULL)
		return;
	Py_CLEAR(f->fn);
	Py_CLEAR(f->exc_type);
	Py_CLEAR(f->exc_value);
	Py_CLEAR(f->exc_tb);
	typed_space_clear(&f->space);
	PyMem_RawFree(f);
}

static PyObject *raise_rsw(int rc, const char *msg);

/* Drops owner (which may free f) and raises what failed: the
 * constraint's exception if it raised one (taken out of f first, so no
 * finaliser runs with it pending), else the library's rc; NULL. */
static PyObject *
fail_owned(PyObject *owner, struct py_feasible *f, int rc, const char *err)
{
	PyObject *type = NULL, *value = NULL, *tb = NULL;

	if (f != NULL) {
		type = f->exc_type;
		value = f->exc_value;
		tb = f->exc_tb;
		f->exc_type = f->exc_value = f->exc_tb = NULL;
	}
	Py_DECREF(owner);
	if (type != NULL) {
		PyErr_Restore(type, value, tb);
		return NULL;
	}
	return raise_rsw(rc, err);
}

/* Raises the constraint's exception, if it raised one: 1, else 0. */
static int
py_feasible_raise(struct py_feasible *f)
{
	if (f == NULL || f->exc_type == NULL)
		return 0;
	PyErr_Restore(f->exc_type, f->exc_value, f->exc_tb);
	f->exc_type = f->exc_value = f->exc_tb = NULL;
	return 1;
}

/* options["constraints"] (expressions) into sp, and options["feasible"]
 * (one callable) as its feasibility function; 0, or -1 with ValueError
 * naming the constraint. */
static int
space_constraints(rsw_space *sp, PyObject *opts, int as_dict,
		  struct py_feasible **out)
{
	PyObject *list = PyDict_GetItemString(opts, "constraints");
	PyObject *fn = PyDict_GetItemString(opts, "feasible");

	*out = NULL;
	if (list != NULL && list != Py_None) {
		PyObject *seq = PySequence_Fast(list, "constraints must be a sequence");

		if (seq == NULL)
			return -1;
		for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
			const char *text = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
			char err[512];

			if (text == NULL) {
				Py_DECREF(seq);
				return -1;
			}
			if (rsw_space_add_constraint(sp, text, err, sizeof err) != 0) {
				Py_DECREF(seq);
				PyErr_SetString(PyExc_ValueError, err);
				return -1;
			}
		}
		Py_DECREF(seq);
	}
	if (fn == NULL || fn == Py_None)
		return 0;
	*out = PyMem_RawCalloc(1, sizeof **out);
	if (*out == NULL) {
		PyErr_NoMemory();
		return -1;
	}
	(*out)->fn = Py_NewRef(fn);
	(*out)->as_dict = as_dict;
	sp->feasible = py_feasible_call;
	sp->feasible_ctx = *out;
	return 0;
}

/*
 * options["enqueue"], the points to evaluate first: a list of {name:
 * value} (a category by its label, extra keys ignored) into *points
 * (PyMem_RawMalloc'd, *n of them), or a path into *file; neither when
 * absent.  The library checks the values against the space, naming the
 * point; here only what Python alone can say (a missing name, a type).
 */
static int
enqueue_option(PyObject *opts, const rsw_space *sp, double **points, uint64_t *n,
	       const char **file)
{
	PyObject *list = PyDict_GetItemString(opts, "enqueue"), *seq;
	Py_ssize_t count;

	*points = NULL;
	*n = 0;
	*file = NULL;
	if (list == NULL || list == Py_None)
		return 0;
	if (PyUnicode_Check(list))
		return (*file = PyUnicode_AsUTF8(list)) != NULL ? 0 : -1;
	if ((seq = PySequence_Fast(list, "enqueue must be a list of dicts")) == NULL)
		return -1;
	count = PySequence_Fast_GET_SIZE(seq);
	if (count == 0 || (size_t)count > RSW_ENQUEUE_MAX) {
		PyErr_Format(PyExc_ValueError, "enqueue: %zd points (give 1 to %u)",
			     count, RSW_ENQUEUE_MAX);
		goto fail;
	}
	*points = PyMem_RawMalloc((size_t)count * sp->n * sizeof(double));
	if (*points == NULL) {
		PyErr_NoMemory();
		goto fail;
	}
	for (Py_ssize_t k = 0; k < count; k++) {
		PyObject *d = PySequence_Fast_GET_ITEM(seq, k);

		if (!PyMapping_Check(d) || PyUnicode_Check(d)) {
			PyErr_Format(PyExc_TypeError, "enqueue: point %zd is a %s, not a "
				     "dict of parameter values", k + 1, Py_TYPE(d)->tp_name);
			goto fail;
		}
		for (uint32_t i = 0; i < sp->n; i++) {
			const rsw_param *p = &sp->params[i];
			double *x = &(*points)[(size_t)k * sp->n + i];
			PyObject *v = PyMapping_GetItemString(d, p->name);
			int bad;

			if (v == NULL) {
				PyErr_Clear();
				PyErr_Format(PyExc_ValueError, "enqueue: point %zd has no "
					     "value for '%s'", k + 1, p->name);
				goto fail;
			}
			if (p->kind == RSW_PARAM_CAT) {
				const char *label = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;

				bad = label == NULL || rsw_param_parse_value(p, label, x) != 0;
			} else {
				*x = PyFloat_AsDouble(v);
				bad = *x == -1.0 && PyErr_Occurred();
			}
			if (bad) {
				PyErr_Clear();
				PyErr_Format(PyExc_ValueError, "enqueue: point %zd, '%s': %R "
					     "is not %s", k + 1, p->name, v,
					     p->kind == RSW_PARAM_CAT ? "one of its labels" :
					     "a number");
				Py_DECREF(v);
				goto fail;
			}
			Py_DECREF(v);
		}
	}
	*n = (uint64_t)count;
	Py_DECREF(seq);
	return 0;
fail:
	PyMem_RawFree(*points);
	*points = NULL;
	Py_DECREF(seq);
	return -1;
}

typedef struct {
	PyObject_HEAD
	rsw_sweep *sw;
	struct py_objective *obj;
	struct py_feasible *feasible;
	struct rows rows;
	PyObject *row_metrics;	/* names of the rows' metrics: the objective's,
				   then a pruner's step_0 ... */
	int keep_rows;
	int rows_lost;	/* memory ran out keeping them: the trials are not all here */
	int started;
	int interrupted;
} SweepObject;

static PyTypeObject SweepType;

/* Runs in the thread that runs the sweep, GIL released: C only. */
static int
keep_row(void *ctx, const double *params, uint32_t nparams, const rsw_result *r)
{
	SweepObject *self = ctx;
	struct rows *rows = &self->rows;
	size_t i = rows->n;

	if (!self->keep_rows || self->rows_lost)
		return 0;
	/* Out of memory: the sweep goes on (the store and the CSV have
	 * every row); the Study says its trials are incomplete. */
	if (i == rows->cap && rows_grow(rows) != 0) {
		self->rows_lost = 1;
		return 0;
	}
	memcpy(rows->params + i * rows->nparams, params,
	       (nparams < rows->nparams ? nparams : rows->nparams) * sizeof(double));
	for (uint32_t m = 0; m < rows->nmetrics; m++)
		rows->metrics[i * rows->nmetrics + m] = m < r->nmetrics ? r->metrics[m] : NAN;
	rows->head[i] = (struct row_head){ r->seq, r->elapsed_ns, r->value,
					   r->status, r->detail, r->worker,
					   r->attempts };
	rows->message[i] = r->message != NULL ? strdup(r->message) : NULL;
	if (r->message != NULL && rows->message[i] == NULL) {
		self->rows_lost = 1;
		return 0;
	}
	rows->n++;
	return 0;
}

static void
sweep_dealloc(SweepObject *self)
{
	if (self->sw != NULL) {
		/* Never closed: close it now, keeping what it committed. */
		Py_BEGIN_ALLOW_THREADS
		rsw_sweep_close(self->sw, NULL, 0);
		Py_END_ALLOW_THREADS
	}
	objective_free(self->obj);
	py_feasible_free(self->feasible);
	rows_free(&self->rows);
	Py_XDECREF(self->row_metrics);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Reads an optional number from the options dict. */
static int
opt_get(PyObject *opts, const char *key, PyObject **out)
{
	*out = PyDict_GetItemString(opts, key);
	return *out != NULL && *out != Py_None;
}

static int
opt_u64(PyObject *opts, const char *key, uint64_t *v)
{
	PyObject *o;

	if (!opt_get(opts, key, &o))
		return 0;
	*v = PyLong_AsUnsignedLongLong(o);
	return PyErr_Occurred() ? -1 : 0;
}

static int
opt_u32(PyObject *opts, const char *key, uint32_t *v)
{
	uint64_t x = *v;

	if (opt_u64(opts, key, &x) != 0)
		return -1;
	if (x > UINT32_MAX) {
		PyErr_Format(PyExc_ValueError, "%s is too large", key);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

static int
opt_int(PyObject *opts, const char *key, int *v)
{
	PyObject *o;
	int overflow;
	long x;

	if (!opt_get(opts, key, &o))
		return 0;
	x = PyLong_AsLongAndOverflow(o, &overflow);
	if (x == -1 && PyErr_Occurred())
		return -1;
	if (overflow != 0 || x < INT_MIN || x > INT_MAX) {
		PyErr_Format(PyExc_ValueError, "%s is out of range", key);
		return -1;
	}
	*v = (int)x;
	return 0;
}

static int
opt_double(PyObject *opts, const char *key, double *v)
{
	PyObject *o;

	if (!opt_get(opts, key, &o))
		return 0;
	*v = PyFloat_AsDouble(o);
	return PyErr_Occurred() ? -1 : 0;
}

/* The halt policy, a string in the library's (GNU parallel's) words. */
static int
opt_halt(PyObject *opts, rsw_halt_policy *h)
{
	char err[256];
	const char *s;
	PyObject *o;

	if (!opt_get(opts, "halt", &o))
		return 0;
	if ((s = PyUnicode_AsUTF8(o)) == NULL)
		return -1;
	if (rsw_halt_parse(s, h, err, sizeof err) != 0) {
		/* The library names the command's option. */
		PyErr_Format(PyExc_ValueError, "%s", strncmp(err, "--", 2) == 0 ? err + 2 : err);
		return -1;
	}
	return 0;
}

/* "objectives": ((name, minimize), ...), checked by the package; the
 * names live as long as opts (the sweep copies them at open). */
static int
opt_objectives(PyObject *opts, rsw_sweep_config *c)
{
	PyObject *o;
	Py_ssize_t n;

	if (!opt_get(opts, "objectives", &o))
		return 0;
	if (!PyTuple_Check(o) || (n = PyTuple_GET_SIZE(o)) > RSW_MAX_OBJECTIVES) {
		PyErr_Format(PyExc_ValueError, "objectives: at most %d",
			     RSW_MAX_OBJECTIVES);
		return -1;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		const char *name;
		int minimize;

		if (!PyArg_ParseTuple(PyTuple_GET_ITEM(o, i), "sp", &name, &minimize))
			return -1;
		c->objectives[i].name = name;
		c->objectives[i].minimize = minimize;
	}
	c->nobjectives = (uint32_t)n;
	return 0;
}

/* "hv_ref": a tuple of floats, the hypervolume's reference point. */
static int
opt_hv_ref(PyObject *opts, rsw_sweep_config *c)
{
	PyObject *o;
	Py_ssize_t n;

	if (!opt_get(opts, "hv_ref", &o))
		return 0;
	if (!PyTuple_Check(o) || (n = PyTuple_GET_SIZE(o)) > RSW_MAX_OBJECTIVES) {
		PyErr_Format(PyExc_ValueError, "hv_ref: one number per objective "
			     "(at most %d)", RSW_MAX_OBJECTIVES);
		return -1;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		c->hv_ref[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(o, i));
		if (PyErr_Occurred())
			return -1;
	}
	c->nhv_ref = (uint32_t)n;
	return 0;
}

/* "prune": the policy, in the library's (the command's) words. */
static int
opt_prune(PyObject *opts, rsw_prune_policy *p)
{
	char err[256];
	const char *s;
	PyObject *o;

	if (!opt_get(opts, "prune", &o))
		return 0;
	if ((s = PyUnicode_AsUTF8(o)) == NULL)
		return -1;
	if (rsw_prune_parse(s, p, err, sizeof err) != 0) {
		PyErr_Format(PyExc_ValueError, "%s", strncmp(err, "--", 2) == 0 ? err + 2 : err);
		return -1;
	}
	return 0;
}

/* The execution settings (what may change on resume). */
static int
exec_options(rsw_sweep_config *c, PyObject *opts)
{
	return opt_halt(opts, &c->halt) || opt_hv_ref(opts, c) ||
	       opt_int(opts, "workers", &c->engine.workers) ||
	       opt_int(opts, "idle", &c->engine.idle) ||
	       opt_int(opts, "pin", &c->engine.pin) ||
	       opt_int(opts, "nice", &c->engine.nice) ||
	       opt_u64(opts, "recycle_after", &c->engine.recycle_after) ||
	       opt_u64(opts, "soft_mem", &c->engine.soft_mem) ||
	       opt_u32(opts, "max_batch", &c->engine.max_batch) ||
	       opt_u32(opts, "top_n", &c->top_n);
}

/* What the sweep is: algorithm options, the window, the policies. */
static int
sweep_options(rsw_sweep_config *c, PyObject *opts)
{
	uint64_t minimize = 1;

	if (exec_options(c, opts) ||
	    opt_u64(opts, "seed", &c->algo_opts.seed) ||
	    opt_u64(opts, "evals", &c->algo_opts.evals) ||
	    opt_u32(opts, "population", &c->algo_opts.population) ||
	    opt_u64(opts, "generations", &c->algo_opts.generations) ||
	    opt_u32(opts, "init", &c->algo_opts.init) ||
	    opt_u64(opts, "minimize", &minimize) ||
	    opt_objectives(opts, c) || opt_prune(opts, &c->prune) ||
	    opt_u32(opts, "window", &c->window) ||
	    opt_double(opts, "timeout", &c->engine.timeout_s) ||
	    opt_u32(opts, "attempts", &c->engine.max_attempts) ||
	    opt_int(opts, "retry_errors", &c->engine.retry_errors) ||
	    opt_int(opts, "on_error", &c->engine.on_error) ||
	    opt_u64(opts, "max_mem", &c->engine.max_mem))
		return -1;
	c->algo_opts.minimize = minimize != 0;
	return 0;
}

/* RSW_E... code and sentence into a Python exception. */
static PyObject *
raise_rsw(int rc, const char *msg)
{
	PyObject *type = SweepError;

	if (rc == RSW_EINVAL || rc == RSW_EREPLAY || rc == RSW_ENOTFOUND)
		type = PyExc_ValueError;
	else if (rc == RSW_ESTORE)
		type = StoreError;
	else if (rc == RSW_ETASKFAILED)
		type = TaskFailed;
	else if (rc == RSW_EINFEASIBLE)
		type = PyExc_ValueError;
	else if (rc == RSW_ENOMEM)
		return PyErr_NoMemory();
	PyErr_SetString(type, msg != NULL && msg[0] ? msg : rsw_strerror(rc));
	return NULL;
}

/* The metric names of a tuple of str, NULL-terminated (room for
 * RSW_MAX_METRICS_LIMIT + 1); they live as long as the tuple. */
static int
metric_names_of(PyObject *metrics, const char **names)
{
	if (!PyTuple_Check(metrics) || PyTuple_GET_SIZE(metrics) > RSW_MAX_METRICS_LIMIT) {
		PyErr_Format(PyExc_ValueError, "metrics: at most %d names",
			     RSW_MAX_METRICS_LIMIT);
		return -1;
	}
	for (Py_ssize_t m = 0; m < PyTuple_GET_SIZE(metrics); m++)
		if ((names[m] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(metrics, m))) == NULL)
			return -1;
	names[PyTuple_GET_SIZE(metrics)] = NULL;
	return 0;
}

/* ---------------------------------------------------------------- MPI */

#ifdef RSW_HAVE_MPI
static rsw_mpi_options py_mpi_options;
#endif

/* backend="mpi" on rank 0: the sweep's engine is the MPI executor (the
 * "mpi_driver_workers" option: rank 0's own workers). */
static int
mpi_options(rsw_sweep_config *c, PyObject *opts)
{
	int driver_workers = -1;

	if (opt_int(opts, "mpi_driver_workers", &driver_workers) != 0)
		return -1;
	if (driver_workers < 0)
		return 0;
#ifdef RSW_HAVE_MPI
	py_mpi_options.driver_workers = driver_workers;
	py_mpi_options.driver_idle = c->engine.idle;
	c->executor = rsw_mpi_executor;
	c->executor_ctx = &py_mpi_options;
	return 0;
#else
	PyErr_SetString(PyExc_ValueError, "backend='mpi': this build of ringsweep has "
			"no MPI support (build it where Open MPI is installed: "
			"libopenmpi-dev)");
	return -1;
#endif
}

#ifdef RSW_HAVE_MPI
/* mpi_init() -> (rank, size); MPI is started once per process. */
static PyObject *
py_mpi_init(PyObject *mod, PyObject *unused)
{
	static int started;

	if (!started && rsw_mpi_init(NULL, NULL) != 0) {
		PyErr_SetString(SweepError, "MPI could not be initialised");
		return NULL;
	}
	started = 1;
	return Py_BuildValue("(ii)", rsw_mpi_rank(), rsw_mpi_size());
}

static PyObject *
py_mpi_release(PyObject *mod, PyObject *unused)
{
	rsw_mpi_release();
	Py_RETURN_NONE;
}

static PyObject *
py_mpi_finalize(PyObject *mod, PyObject *unused)
{
	rsw_mpi_finalize();
	Py_RETURN_NONE;
}

static void
on_agent_signal(int sig)
{
	(void)sig;
	rsw_mpi_serve_stop();
}

/* A rank other than 0: evaluates rank 0's sweep with this process's copy
 * of the objective (every rank runs the same script) until rank 0 is
 * done.  The fork of the node's engine happens with the GIL held and
 * Python told, as for a local sweep. */
static PyObject *
serve_mpi(PyObject *mod, PyObject *args, PyObject *kw)
{
	static char *names[] = { "specs", "objective", "label", "metrics", "options",
				 "as_dict", "on_worker_start", NULL };
	PyObject *specs, *objective, *metrics, *opts, *on_worker_start = Py_None;
	const char *label, *metric_names[RSW_MAX_METRICS_LIMIT + 1];
	struct sigaction sa, old_int, old_term;
	struct py_objective *obj;
	rsw_objective_spec fn;
	rsw_sweep_config x;
	rsw_node_config nc;
	rsw_mpi_agent *agent = NULL;
	rsw_space space;
	char err[2048];
	int as_dict = 0, rc;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "OOsOO!|pO", names, &specs,
					 &objective, &label, &metrics, &PyDict_Type,
					 &opts, &as_dict, &on_worker_start))
		return NULL;
	if (space_from_specs(&space, specs) != 0)
		return NULL;
	if (metric_names_of(metrics, metric_names) != 0)
		return NULL;
	rsw_sweep_config_init(&x);
	if (exec_options(&x, opts) != 0)
		return NULL;
	if ((obj = objective_new(objective, on_worker_start, as_dict)) == NULL)
		return NULL;
	if (objective_bind(obj, &space, (uint32_t)PyTuple_GET_SIZE(metrics),
			   metric_names) != 0) {
		objective_free(obj);
		return NULL;
	}
	memset(&fn, 0, sizeof fn);
	fn.fn = py_eval;
	fn.worker_init = py_worker_init;
	fn.ctx = obj;
	fn.label = label;
	fn.nmetrics = (uint32_t)PyTuple_GET_SIZE(metrics);
	fn.metric_names = metric_names;
	rsw_node_config_init(&nc);
	nc.exec = x.engine;
	nc.function = &fn;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_agent_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	Py_BEGIN_ALLOW_THREADS
	rc = rsw_mpi_agent_await(&agent, err, sizeof err);
	Py_END_ALLOW_THREADS
	if (rc == 0 && agent != NULL) {
		/* A refusal is told to rank 0, which reports it; run then
		 * waits for its stop. */
		PyOS_BeforeFork();
		(void)rsw_mpi_agent_start(agent, &nc, err, sizeof err);
		PyOS_AfterFork_Parent();
		Py_BEGIN_ALLOW_THREADS
		rc = rsw_mpi_agent_run(agent, err, sizeof err);
		rsw_mpi_agent_close(agent);
		Py_END_ALLOW_THREADS
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	objective_free(obj);
	if (rc == RSW_ECANCELED) {
		PyErr_SetNone(PyExc_KeyboardInterrupt);
		return NULL;
	}
	if (rc != 0)
		return raise_rsw(rc, err);
	Py_RETURN_NONE;
}
#endif

static SweepObject *
sweep_alloc(PyObject *objective, PyObject *on_worker_start, int as_dict,
	    int keep_rows)
{
	SweepObject *self;

	if (!PyCallable_Check(objective)) {
		PyErr_SetString(PyExc_TypeError, "the objective must be callable");
		return NULL;
	}
	self = PyObject_New(SweepObject, &SweepType);
	if (self == NULL)
		return NULL;
	self->sw = NULL;
	self->feasible = NULL;
	memset(&self->rows, 0, sizeof self->rows);
	self->keep_rows = keep_rows;
	self->rows_lost = self->started = self->interrupted = 0;
	self->row_metrics = NULL;
	self->obj = objective_new(objective, on_worker_start, as_dict);
	if (self->obj == NULL) {
		Py_DECREF(self);
		return NULL;
	}
	return self;
}

/* After open or resume: what rows and calls need of the sweep. */
static PyObject *
sweep_bind(SweepObject *self)
{
	const rsw_objective_info *info = rsw_sweep_objective(self->sw);
	const rsw_objective_spec *declared = &rsw_sweep_config_of(self->sw)->objective;
	const rsw_space *sp = rsw_sweep_space(self->sw);

	/* The function returns the metrics it declared; the rows hold the
	 * sweep's, a pruner's step values after them. */
	if (objective_bind(self->obj, sp, declared->nmetrics, declared->metric_names) != 0) {
		Py_DECREF(self);
		return NULL;
	}
	self->rows.nparams = sp->n;
	self->rows.nmetrics = info->nmetrics;
	self->row_metrics = PyTuple_New(info->nmetrics);
	for (uint32_t m = 0; self->row_metrics != NULL && m < info->nmetrics; m++) {
		PyObject *name = PyUnicode_InternFromString(info->metric_names[m]);

		if (name == NULL) {
			Py_DECREF(self);
			return NULL;
		}
		PyTuple_SET_ITEM(self->row_metrics, m, name);
	}
	if (self->row_metrics == NULL) {
		Py_DECREF(self);
		return NULL;
	}
	return (PyObject *)self;
}

static PyObject *
open_sweep(PyObject *mod, PyObject *args, PyObject *kw)
{
	static char *names[] = { "specs", "objective", "label", "metrics", "algo",
				 "options", "store", "results_csv", "as_dict",
				 "on_worker_start", "keep_rows", NULL };
	PyObject *specs, *objective, *metrics, *opts, *on_worker_start = Py_None;
	const char *label, *algo, *store = NULL, *csv = NULL;
	const char *metric_names[RSW_MAX_METRICS_LIMIT + 1];
	int as_dict = 0, keep_rows = 1, rc;
	rsw_sweep_config c;
	rsw_space space;
	SweepObject *self;
	double *points = NULL;
	char err[1024];

	if (!PyArg_ParseTupleAndKeywords(args, kw, "OOsOsO!|zzpOp", names, &specs,
					 &objective, &label, &metrics, &algo,
					 &PyDict_Type, &opts, &store, &csv, &as_dict,
					 &on_worker_start, &keep_rows))
		return NULL;
	if (space_from_specs(&space, specs) != 0)
		return NULL;
	if (metric_names_of(metrics, metric_names) != 0)
		return NULL;
	self = sweep_alloc(objective, on_worker_start, as_dict, keep_rows);
	if (self == NULL)
		return NULL;
	rsw_sweep_config_init(&c);
	c.space = &space;
	c.algo = algo;
	c.store = store;
	c.results_csv = csv;
	c.objective.fn = py_eval;
	c.objective.worker_init = py_worker_init;
	c.objective.ctx = self->obj;
	c.objective.label = label;
	c.objective.nmetrics = (uint32_t)PyTuple_GET_SIZE(metrics);
	c.objective.metric_names = metric_names;
	c.engine.max_message = MESSAGE_MAX;
	c.on_commit = keep_row;
	c.commit_ctx = self;
	if (sweep_options(&c, opts) != 0 || mpi_options(&c, opts) != 0 ||
	    space_constraints(&space, opts, as_dict, &self->feasible) != 0 ||
	    enqueue_option(opts, &space, &points, &c.nenqueue, &c.enqueue_file) != 0) {
		Py_DECREF(self);
		return NULL;
	}
	c.enqueue = points;
	Py_BEGIN_ALLOW_THREADS
	rc = rsw_sweep_open(&self->sw, &c, err, sizeof err);
	Py_END_ALLOW_THREADS
	PyMem_RawFree(points); /* the sweep keeps its copy */
	if (rc != 0)
		self->sw = NULL;
	/* A constraint that raised while the sweep opened (counting the
	 * grid, say) fails the open even when the count went on. */
	if (rc != 0 || (self->feasible != NULL && self->feasible->exc_type != NULL))
		return fail_owned((PyObject *)self, self->feasible, rc, err);
	if (self->feasible != NULL)
		self->feasible->sw = self->sw;
	return sweep_bind(self);
}

static PyObject *
resume_sweep(PyObject *mod, PyObject *args, PyObject *kw)
{
	static char *names[] = { "store", "objective", "options", "results_csv",
				 "as_dict", "on_worker_start", "keep_rows", NULL };
	PyObject *objective, *opts, *on_worker_start = Py_None;
	const char *store, *csv = NULL;
	int as_dict = 0, keep_rows = 1, rc;
	rsw_sweep_config x;
	rsw_space given;
	SweepObject *self;
	char err[1024];

	if (!PyArg_ParseTupleAndKeywords(args, kw, "sOO!|zpOp", names, &store,
					 &objective, &PyDict_Type, &opts, &csv,
					 &as_dict, &on_worker_start, &keep_rows))
		return NULL;
	self = sweep_alloc(objective, on_worker_start, as_dict, keep_rows);
	if (self == NULL)
		return NULL;
	rsw_sweep_config_init(&x);
	x.results_csv = csv;
	x.objective.fn = py_eval;
	x.objective.worker_init = py_worker_init;
	x.objective.ctx = self->obj;
	x.engine.max_message = MESSAGE_MAX;
	x.on_commit = keep_row;
	x.commit_ctx = self;
	rsw_space_init(&given);
	if (exec_options(&x, opts) != 0 ||
	    opt_u64(opts, "evals", &x.algo_opts.evals) != 0 ||
	    opt_u64(opts, "generations", &x.algo_opts.generations) != 0 ||
	    space_constraints(&given, opts, as_dict, &self->feasible) != 0) {
		Py_DECREF(self);
		return NULL;
	}
	if (given.nconstraints > 0) {
		Py_DECREF(self);
		PyErr_SetString(PyExc_ValueError, "constraints: a resumed sweep has "
				"its recorded expressions; only a callable is given "
				"again");
		return NULL;
	}
	x.space = self->feasible != NULL ? &given : NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = rsw_sweep_resume(&self->sw, store, &x, err, sizeof err);
	Py_END_ALLOW_THREADS
	if (rc != 0)
		self->sw = NULL;
	if (rc != 0 || (self->feasible != NULL && self->feasible->exc_type != NULL))
		return fail_owned((PyObject *)self, self->feasible, rc, err);
	if (self->feasible != NULL)
		self->feasible->sw = self->sw;
	return sweep_bind(self);
}

static int
sweep_open_or_raise(SweepObject *self)
{
	if (self->sw != NULL)
		return 0;
	PyErr_SetString(PyExc_ValueError, "the sweep is closed");
	return -1;
}

/* Forks the supervisor (and so the workers) with the GIL held: the
 * forking thread's state is the one every worker's interpreter resumes. */
static int
start(SweepObject *self)
{
	int forks, rc;

	if (sweep_open_or_raise(self) != 0)
		return -1;
	if (self->started)
		return 0;
	/* An MPI sweep may fork rank 0's own workers (mpi_driver_workers). */
	forks = rsw_sweep_workers(self->sw) > 0 ||
		rsw_sweep_config_of(self->sw)->executor != NULL;
	if (forks)
		PyOS_BeforeFork();
	rc = rsw_sweep_start(self->sw);
	if (forks)
		PyOS_AfterFork_Parent();
	if (rc != 0) {
		raise_rsw(rc, rsw_sweep_errmsg(self->sw));
		return -1;
	}
	self->started = 1;
	return 0;
}

static PyObject *
sweep_start(SweepObject *self, PyObject *unused)
{
	if (start(self) != 0)
		return NULL;
	Py_RETURN_NONE;
}

/* Ctrl-C while a sweep runs: the first drains it (what runs finishes and
 * is kept), a second stops it at once -- and, when the objective runs
 * here (serial), interrupts it too, as Python's own handler would.  The
 * outermost sweep of the process handles it (a serial objective's own
 * sweep leaves it so).  Every call here is async-signal-safe. */
static rsw_sweep *volatile sigint_sweep;
static volatile sig_atomic_t sigint_count;
static volatile sig_atomic_t sigint_to_python;

static void
on_sigint(int sig)
{
	rsw_sweep *sw = sigint_sweep;

	if (sw == NULL)
		return;
	if (sigint_count++ == 0) {
		rsw_sweep_stop(sw);
	} else {
		rsw_sweep_cancel(sw);
		if (sigint_to_python)
			PyErr_SetInterruptEx(sig);
	}
}

static PyObject *
sweep_run(SweepObject *self, PyObject *args)
{
	int progress_mode, handle_sigint, rc;
	struct sigaction sa, old;
	rsw_progress *progress;

	if (!PyArg_ParseTuple(args, "ip", &progress_mode, &handle_sigint))
		return NULL;
	if (start(self) != 0)
		return NULL;
	handle_sigint = handle_sigint && sigint_sweep == NULL;
	if (handle_sigint) {
		sigint_count = 0;
		sigint_to_python = rsw_sweep_workers(self->sw) == 0;
		sigint_sweep = self->sw;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sigint;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old);
	}
	/* A thread made after the fork: the workers never see it. */
	progress = rsw_progress_start(progress_mode, self->sw);
	Py_BEGIN_ALLOW_THREADS
	rc = rsw_sweep_run(self->sw);
	Py_END_ALLOW_THREADS
	rsw_progress_stop(progress);
	if (py_feasible_raise(self->feasible)) {
		if (handle_sigint) {
			sigaction(SIGINT, &old, NULL);
			sigint_sweep = NULL;
		}
		return NULL;
	}
	if (handle_sigint) {
		sigaction(SIGINT, &old, NULL);
		sigint_sweep = NULL;
		self->interrupted = sigint_count > 0;
		/* An interrupt passed to Python that no objective took is taken
		 * here, not at some later line of the caller's: the caller
		 * raises KeyboardInterrupt itself, once the store is closed. */
		if (self->interrupted && PyErr_CheckSignals() < 0) {
			if (!PyErr_ExceptionMatches(PyExc_KeyboardInterrupt))
				return NULL;
			PyErr_Clear();
		}
	}
	return Py_BuildValue("(isi)", rc, rsw_sweep_errmsg(self->sw), self->interrupted);
}

static PyObject *
sweep_close(SweepObject *self, PyObject *unused)
{
	char err[1024] = "";
	int rc;

	if (self->sw == NULL)
		Py_RETURN_NONE;
	Py_BEGIN_ALLOW_THREADS
	rc = rsw_sweep_close(self->sw, err, sizeof err);
	Py_END_ALLOW_THREADS
	self->sw = NULL;
	if (rc != 0)
		return raise_rsw(rc, err);
	Py_RETURN_NONE;
}

static PyObject *
list_of_doubles(const double *v, size_t n, size_t stride)
{
	PyObject *l = PyList_New((Py_ssize_t)n);

	for (size_t i = 0; l != NULL && i < n; i++) {
		PyObject *x = PyFloat_FromDouble(v[i * stride]);

		if (x == NULL)
			Py_CLEAR(l);
		else
			PyList_SET_ITEM(l, (Py_ssize_t)i, x);
	}
	return l;
}

static int
put(PyObject *d, const char *key, PyObject *v)
{
	int rc = v != NULL ? PyDict_SetItemString(d, key, v) : -1;

	Py_XDECREF(v);
	return rc;
}

/* The committed rows as columns: seq, each parameter (typed), status,
 * value, each metric, detail (the signal, exit code or error code),
 * attempts, worker, elapsed_s, message. */
static PyObject *
sweep_columns(SweepObject *self, PyObject *unused)
{
	const struct rows *r = &self->rows;
	const struct typed_space *t = &self->obj->space;
	PyObject *cols = PyDict_New(), *l;
	Py_ssize_t n = (Py_ssize_t)r->n;

	if (cols == NULL)
		return NULL;
	if (self->rows_lost) {
		Py_DECREF(cols);
		PyErr_SetString(PyExc_MemoryError, "the trials could not all be kept in "
				"memory (the store, db=, has every one)");
		return NULL;
	}
#define COLUMN(key, make)                                                    \
	do {                                                                 \
		l = PyList_New(n);                                           \
		for (Py_ssize_t i = 0; l != NULL && i < n; i++) {            \
			PyObject *x_ = (make);                               \
			if (x_ == NULL)                                      \
				Py_CLEAR(l);                                 \
			else                                                 \
				PyList_SET_ITEM(l, i, x_);                   \
		}                                                            \
		if (put(cols, (key), l) != 0)                                \
			goto fail;                                           \
	} while (0)
	COLUMN("seq", PyLong_FromUnsignedLongLong(r->head[i].seq));
	for (uint32_t p = 0; p < t->n; p++)
		COLUMN(PyUnicode_AsUTF8(PyTuple_GET_ITEM(t->names, p)),
		       typed_value(t, p, r->params[(size_t)i * r->nparams + p]));
	COLUMN("status", PyUnicode_FromString(rsw_status_name(r->head[i].status)));
	COLUMN("value", PyFloat_FromDouble(r->head[i].value));
	for (uint32_t m = 0; m < r->nmetrics; m++)
		if (put(cols, PyUnicode_AsUTF8(PyTuple_GET_ITEM(self->row_metrics, m)),
			list_of_doubles(r->metrics + m, r->n, r->nmetrics)) != 0)
			goto fail;
	COLUMN("detail", PyLong_FromLong(r->head[i].detail));
	COLUMN("attempts", PyLong_FromUnsignedLong(r->head[i].attempts));
	COLUMN("worker", PyLong_FromLong(r->head[i].worker));
	COLUMN("elapsed_s", PyFloat_FromDouble((double)r->head[i].elapsed_ns / 1e9));
	COLUMN("message", r->message[i] != NULL ?
				  PyUnicode_DecodeUTF8(r->message[i], (Py_ssize_t)strlen(r->message[i]),
						       "replace") :
				  Py_NewRef(Py_None));
#undef COLUMN
	return cols;
fail:
	Py_DECREF(cols);
	return NULL;
}

static PyObject *
sweep_summary(SweepObject *self, PyObject *unused)
{
	rsw_sweep_summary s;
	PyObject *d, *counts;
	uint64_t restarts = 0;

	if (sweep_open_or_raise(self) != 0)
		return NULL;
	rsw_sweep_summary_get(self->sw, &s);
	for (uint32_t w = 0; w < s.engine.nworkers && w < 256; w++)
		restarts += s.engine.workers[w].restarts;
	counts = PyDict_New();
	for (int st = 0; counts != NULL && st < RSW_STATUS_COUNT_; st++)
		if (s.by_status[st] > 0 &&
		    put(counts, rsw_status_name(st),
			PyLong_FromUnsignedLongLong(s.by_status[st])) != 0)
			Py_CLEAR(counts);
	if (counts == NULL)
		return NULL;
	d = Py_BuildValue("{s:N,s:K,s:K,s:d,s:K,s:K,s:K,s:K,s:K,s:K,s:K}",
			  "counts", counts,
			  "committed", (unsigned long long)s.committed,
			  "replayed", (unsigned long long)s.replayed,
			  "wall_s", s.wall_s,
			  "retries", (unsigned long long)s.engine.retries,
			  "deaths", (unsigned long long)s.engine.deaths,
			  "killed", (unsigned long long)s.engine.killed,
			  "timeouts", (unsigned long long)s.engine.timeouts,
			  "recycled", (unsigned long long)s.engine.recycled,
			  "requeued", (unsigned long long)s.engine.requeued,
			  "restarts", (unsigned long long)restarts);
	return d;
}

static PyObject *
sweep_best(SweepObject *self, PyObject *unused)
{
	const rsw_sweep_row *top;
	PyObject *params, *metrics;

	if (sweep_open_or_raise(self) != 0)
		return NULL;
	if (rsw_sweep_top(self->sw, &top) == 0)
		Py_RETURN_NONE;
	params = typed_dict(&self->obj->space, top[0].params);
	metrics = PyDict_New();
	for (uint32_t m = 0; params != NULL && metrics != NULL &&
			     m < top[0].nmetrics && m < self->rows.nmetrics; m++) {
		PyObject *v = PyFloat_FromDouble(top[0].metrics[m]);

		if (v == NULL ||
		    PyDict_SetItem(metrics, PyTuple_GET_ITEM(self->row_metrics, m),
				   v) != 0)
			Py_CLEAR(metrics);
		Py_XDECREF(v);
	}
	if (params == NULL || metrics == NULL) {
		Py_XDECREF(params);
		Py_XDECREF(metrics);
		return NULL;
	}
	return Py_BuildValue("{s:K,s:d,s:N,s:N}", "seq",
			     (unsigned long long)top[0].seq, "value", top[0].value,
			     "params", params, "metrics", metrics);
}

/* A row of the front as a dict: seq, params, value, metrics, and the
 * objectives by name. */
static PyObject *
front_row(SweepObject *self, const rsw_sweep_row *row)
{
	const rsw_sweep_config *c = rsw_sweep_config_of(self->sw);
	PyObject *params = typed_dict(&self->obj->space, row->params);
	PyObject *metrics = PyDict_New(), *objectives = PyDict_New();

	for (uint32_t m = 0; metrics != NULL && m < row->nmetrics &&
			     m < self->rows.nmetrics; m++) {
		PyObject *v = PyFloat_FromDouble(row->metrics[m]);

		if (v == NULL ||
		    PyDict_SetItem(metrics, PyTuple_GET_ITEM(self->row_metrics, m),
				   v) != 0)
			Py_CLEAR(metrics);
		Py_XDECREF(v);
	}
	for (uint32_t k = 0; objectives != NULL && k < c->nobjectives; k++) {
		PyObject *v = PyFloat_FromDouble(row->objectives[k]);

		if (v == NULL ||
		    PyDict_SetItemString(objectives, c->objectives[k].name, v) != 0)
			Py_CLEAR(objectives);
		Py_XDECREF(v);
	}
	if (params == NULL || metrics == NULL || objectives == NULL) {
		Py_XDECREF(params);
		Py_XDECREF(metrics);
		Py_XDECREF(objectives);
		return NULL;
	}
	return Py_BuildValue("{s:K,s:d,s:N,s:N,s:N}", "seq",
			     (unsigned long long)row->seq, "value", row->value,
			     "params", params, "metrics", metrics, "objectives",
			     objectives);
}

/* (front, hypervolume, reference): ([], None, None) with one objective. */
static PyObject *
sweep_pareto(SweepObject *self, PyObject *unused)
{
	const rsw_sweep_row *rows;
	double ref[RSW_MAX_OBJECTIVES], hv;
	PyObject *front, *refs;
	uint32_t n, m;

	if (sweep_open_or_raise(self) != 0)
		return NULL;
	n = rsw_sweep_pareto(self->sw, &rows);
	m = rsw_sweep_config_of(self->sw)->nobjectives;
	hv = rsw_sweep_hypervolume(self->sw, ref);
	if ((front = PyList_New(n)) == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		PyObject *row = front_row(self, &rows[i]);

		if (row == NULL) {
			Py_DECREF(front);
			return NULL;
		}
		PyList_SET_ITEM(front, i, row);
	}
	if (isnan(hv))
		return Py_BuildValue("(NOO)", front, Py_None, Py_None);
	if ((refs = PyTuple_New(m)) == NULL) {
		Py_DECREF(front);
		return NULL;
	}
	for (uint32_t k = 0; k < m; k++)
		PyTuple_SET_ITEM(refs, k, PyFloat_FromDouble(ref[k]));
	return Py_BuildValue("(NdN)", front, hv, refs);
}

static PyObject *
sweep_info(SweepObject *self, PyObject *unused)
{
	const rsw_objective_info *o;
	const char *store;

	if (sweep_open_or_raise(self) != 0)
		return NULL;
	o = rsw_sweep_objective(self->sw);
	store = rsw_sweep_store_path(self->sw);
	return Py_BuildValue("{s:N,s:s,s:O,s:I,s:i,s:s,s:N,s:O,s:K}",
			     "specs", specs_of(rsw_sweep_space(self->sw)),
			     "algo", rsw_sweep_algo_name(self->sw),
			     "minimize", rsw_sweep_minimize(self->sw) ? Py_True : Py_False,
			     "window", (unsigned)rsw_sweep_window(self->sw),
			     "workers", rsw_sweep_workers(self->sw),
			     "label", o->name,
			     "store", store ? PyUnicode_FromString(store) : Py_NewRef(Py_None),
			     "metrics", self->row_metrics,
			     "enqueued", (unsigned long long)rsw_sweep_enqueued(self->sw, NULL));
}

static PyMethodDef sweep_methods[] = {
	{ "start", (PyCFunction)sweep_start, METH_NOARGS,
	  "Forks the workers (from this interpreter, as it is now)." },
	{ "run", (PyCFunction)sweep_run, METH_VARARGS,
	  "run(progress_mode, handle_sigint) -> (code, message, interrupted)" },
	{ "close", (PyCFunction)sweep_close, METH_NOARGS,
	  "Stops the workers and finishes the store." },
	{ "columns", (PyCFunction)sweep_columns, METH_NOARGS,
	  "The committed evaluations, as columns." },
	{ "summary", (PyCFunction)sweep_summary, METH_NOARGS,
	  "Counts by status, wall time, the engine's counters." },
	{ "best", (PyCFunction)sweep_best, METH_NOARGS,
	  "The best evaluation, or None." },
	{ "pareto", (PyCFunction)sweep_pareto, METH_NOARGS,
	  "(front, hypervolume, reference) of a multi-objective sweep." },
	{ "info", (PyCFunction)sweep_info, METH_NOARGS,
	  "What the sweep is: specs, algorithm, direction, window, ..." },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject SweepType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ringsweep._core.Sweep",
	.tp_basicsize = sizeof(SweepObject),
	.tp_dealloc = (destructor)sweep_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A sweep of the library with a Python objective "
		  "(made by open_sweep or resume_sweep).",
	.tp_methods = sweep_methods,
};

/* --------------------------------------------------------- Algorithm */

typedef struct {
	PyObject_HEAD
	rsw_algorithm *algo;	/* behind its warm start when given one */
	rsw_algorithm *inner;	/* NULL without enqueued points */
	rsw_space space;
	struct typed_space typed;
	struct py_feasible *feasible;
} AlgorithmObject;

static void
algorithm_dealloc(AlgorithmObject *self)
{
	rsw_algorithm_destroy(self->algo);
	rsw_algorithm_destroy(self->inner);
	typed_space_clear(&self->typed);
	py_feasible_free(self->feasible);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
algorithm_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	static char *names[] = { "specs", "algo", "options", NULL };
	PyObject *specs, *opts;
	const char *name;
	AlgorithmObject *self;
	rsw_sweep_config c;
	double *points = NULL;
	uint64_t npoints = 0;
	const char *file = NULL;
	char err[4608];
	int rc;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "OsO!", names, &specs, &name,
					 &PyDict_Type, &opts))
		return NULL;
	self = (AlgorithmObject *)type->tp_alloc(type, 0);
	if (self == NULL)
		return NULL;
	rsw_sweep_config_init(&c);
	if (space_from_specs(&self->space, specs) != 0 ||
	    typed_space_init(&self->typed, &self->space) != 0 ||
	    sweep_options(&c, opts) != 0 ||
	    space_constraints(&self->space, opts, 0, &self->feasible) != 0) {
		Py_DECREF(self);
		return NULL;
	}
	if (enqueue_option(opts, &self->space, &points, &npoints, &file) != 0) {
		Py_DECREF(self);
		return NULL;
	}
	rc = rsw_algo_create(&self->algo, name, &self->space, &c.algo_opts, err,
			     sizeof err);
	if (rc != 0)
		self->algo = NULL;
	/* A warm start: the points, then the algorithm (rsw_algo_enqueue). */
	if (rc == 0 && file != NULL)
		rc = rsw_points_load(&self->space, file, &points, &npoints, err,
				     sizeof err);
	if (rc == 0 && npoints > 0) {
		self->inner = self->algo;
		self->algo = NULL;
		rc = rsw_algo_enqueue(&self->algo, self->inner, &self->space, points,
				      npoints, c.algo_opts.minimize, err, sizeof err);
	}
	if (file != NULL)
		rsw_points_free(points);
	else
		PyMem_RawFree(points);
	if (rc != 0 || (self->feasible != NULL && self->feasible->exc_type != NULL))
		return fail_owned((PyObject *)self, self->feasible, rc, err);
	return (PyObject *)self;
}

/* suggest(k) -> ("ok", raw values, {name: value}) | ("wait", None, None)
 * | ("done", None, None) */
static PyObject *
algorithm_suggest(AlgorithmObject *self, PyObject *arg)
{
	double x[RSW_MAX_PARAMS_LIMIT];
	unsigned long long k = PyLong_AsUnsignedLongLong(arg);
	PyObject *raw;
	int rc;

	if (PyErr_Occurred())
		return NULL;
	rc = self->algo->suggest(self->algo, k, x);
	if (py_feasible_raise(self->feasible))
		return NULL;
	if (rc == RSW_SUGGEST_WAIT)
		return Py_BuildValue("(sOO)", "wait", Py_None, Py_None);
	if (rc == RSW_SUGGEST_DONE)
		return Py_BuildValue("(sOO)", "done", Py_None, Py_None);
	if (rc != RSW_SUGGEST_OK)
		return raise_rsw(rc, NULL);
	raw = PyTuple_New(self->space.n);
	for (uint32_t i = 0; raw != NULL && i < self->space.n; i++) {
		PyObject *v = PyFloat_FromDouble(x[i]);

		if (v == NULL)
			Py_CLEAR(raw);
		else
			PyTuple_SET_ITEM(raw, i, v);
	}
	if (raw == NULL)
		return NULL;
	return Py_BuildValue("(sNN)", "ok", raw, typed_dict(&self->typed, x));
}

/* update(k, raw values, ok, value): in seq order, as suggested. */
static PyObject *
algorithm_update(AlgorithmObject *self, PyObject *args)
{
	unsigned long long k;
	PyObject *raw;
	int ok, rc;
	double value, x[RSW_MAX_PARAMS_LIMIT];
	rsw_result r;

	if (!PyArg_ParseTuple(args, "KO!pd", &k, &PyTuple_Type, &raw, &ok, &value))
		return NULL;
	if (PyTuple_GET_SIZE(raw) != self->space.n) {
		PyErr_SetString(PyExc_ValueError, "the parameters do not match the space");
		return NULL;
	}
	for (uint32_t i = 0; i < self->space.n; i++)
		if ((x[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(raw, i))) == -1.0 &&
		    PyErr_Occurred())
			return NULL;
	memset(&r, 0, sizeof r);
	r.seq = k;
	r.attempts = 1;
	r.worker = -1;
	r.status = ok ? RSW_STATUS_OK : RSW_STATUS_ERROR;
	r.value = ok ? value : NAN;
	rc = self->algo->update(self->algo, x, &r);
	if (rc < 0)
		return raise_rsw(rc, NULL);
	Py_RETURN_NONE;
}

static PyObject *
algorithm_is_complete(AlgorithmObject *self, PyObject *unused)
{
	return PyBool_FromLong(self->algo->is_complete != NULL &&
			       self->algo->is_complete(self->algo));
}

static PyObject *
algorithm_best(AlgorithmObject *self, PyObject *unused)
{
	rsw_best b;

	if (self->algo->best == NULL || self->algo->best(self->algo, &b) != 0)
		Py_RETURN_NONE;
	return Py_BuildValue("(KdN)", (unsigned long long)b.seq, b.value,
			     typed_dict(&self->typed, b.params));
}

static PyMethodDef algorithm_methods[] = {
	{ "suggest", (PyCFunction)algorithm_suggest, METH_O,
	  "suggest(k) -> (answer, raw values, params)" },
	{ "update", (PyCFunction)algorithm_update, METH_VARARGS,
	  "update(k, raw values, ok, value), in seq order" },
	{ "is_complete", (PyCFunction)algorithm_is_complete, METH_NOARGS,
	  "Whether it wants nothing more." },
	{ "best", (PyCFunction)algorithm_best, METH_NOARGS,
	  "(seq, value, params) of the best result, or None." },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject AlgorithmType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "ringsweep._core.Algorithm",
	.tp_basicsize = sizeof(AlgorithmObject),
	.tp_dealloc = (destructor)algorithm_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Algorithm(specs, algo, options): a registry algorithm, "
		  "asked and told by hand.",
	.tp_methods = algorithm_methods,
	.tp_new = algorithm_new,
};

/* ------------------------------------------------------------- module */

/* task() -> (seq, attempt, worker) of the evaluation in progress. */
static PyObject *
task(PyObject *mod, PyObject *unused)
{
	if (!in_task) {
		PyErr_SetString(PyExc_RuntimeError, "ringsweep.task() is for the "
				"objective, while it evaluates a task");
		return NULL;
	}
	return Py_BuildValue("(KIi)", (unsigned long long)current_task.seq,
			     current_task.attempt, current_task.worker);
}

/* report_step(step, value) -> True when the evaluation should stop. */
static PyObject *
report_step(PyObject *mod, PyObject *args)
{
	unsigned long long step;
	double value;

	if (!PyArg_ParseTuple(args, "Kd", &step, &value))
		return NULL;
	if (!in_task) {
		PyErr_SetString(PyExc_RuntimeError, "ringsweep.report_step() is for the "
				"objective, while it evaluates a task");
		return NULL;
	}
	if (step > UINT32_MAX) {
		PyErr_SetString(PyExc_ValueError, "report: step is too large");
		return NULL;
	}
	return PyBool_FromLong(rsw_task_report(&current_task, (uint32_t)step, value));
}

/* check_specs(specs) -> the specs as the library reads them back. */
static PyObject *
check_specs(PyObject *mod, PyObject *specs)
{
	rsw_space sp;

	if (space_from_specs(&sp, specs) != 0)
		return NULL;
	return specs_of(&sp);
}

static PyObject *
algorithms(PyObject *mod, PyObject *unused)
{
	size_t n;
	const rsw_algo_info *a = rsw_algo_list(&n);
	PyObject *d = PyDict_New();

	for (size_t i = 0; d != NULL && i < n; i++)
		if (put(d, a[i].name, PyUnicode_FromString(a[i].help)) != 0)
			Py_CLEAR(d);
	return d;
}

/* report(store, path, x=None, y=None, best_by=None, bins=0): the store's
 * HTML report, written atomically (rsw_report_write); the GIL is released
 * while a large store is read. */
static PyObject *
report(PyObject *mod, PyObject *args, PyObject *kw)
{
	static char *names[] = { "store", "path", "x", "y", "best_by", "bins", NULL };
	const char *store, *path;
	rsw_report_options o;
	unsigned int bins = 0;
	char err[1024];
	int rc;

	rsw_report_options_init(&o);
	if (!PyArg_ParseTupleAndKeywords(args, kw, "ss|zzzI", names, &store, &path, &o.x,
					 &o.y, &o.best_by, &bins))
		return NULL;
	o.bins = bins;
	Py_BEGIN_ALLOW_THREADS
	rc = rsw_report_write(store, &o, path, err, sizeof err);
	Py_END_ALLOW_THREADS
	if (rc != 0) {
		PyErr_SetString(rc == RSW_EINVAL ? PyExc_ValueError :
				rc == RSW_ENOMEM ? PyExc_MemoryError : PyExc_OSError, err);
		return NULL;
	}
	Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
#ifdef RSW_HAVE_MPI
	{ "mpi_init", py_mpi_init, METH_NOARGS,
	  "mpi_init() -> (rank, size): starts MPI once (backend='mpi')" },
	{ "mpi_finalize", py_mpi_finalize, METH_NOARGS, "ends MPI (at exit)" },
	{ "mpi_release", py_mpi_release, METH_NOARGS,
	  "rank 0, when its sweep will not start: the agents return" },
	{ "serve_mpi", (PyCFunction)(void (*)(void))serve_mpi,
	  METH_VARARGS | METH_KEYWORDS,
	  "a rank > 0 of backend='mpi': evaluates rank 0's sweep until it is done" },
#endif
	{ "open_sweep", (PyCFunction)(void (*)(void))open_sweep,
	  METH_VARARGS | METH_KEYWORDS, "Validates and opens a new sweep." },
	{ "resume_sweep", (PyCFunction)(void (*)(void))resume_sweep,
	  METH_VARARGS | METH_KEYWORDS, "Opens a stored sweep to continue it." },
	{ "task", task, METH_NOARGS,
	  "(seq, attempt, worker) of the evaluation in progress." },
	{ "report_step", report_step, METH_VARARGS,
	  "report_step(step, value) -> True when a pruner says: stop." },
	{ "check_specs", check_specs, METH_O,
	  "Parses parameter specs; ValueError naming a bad one." },
	{ "algorithms", algorithms, METH_NOARGS,
	  "{name: help} of the registry's algorithms." },
	{ "report", (PyCFunction)(void (*)(void))report, METH_VARARGS | METH_KEYWORDS,
	  "Writes a results store's HTML report (ValueError naming bad input)." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef core_module = {
	PyModuleDef_HEAD_INIT, "ringsweep._core",
	"The C layer of ringsweep: the library's sweep with a Python objective.",
	-1, module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void);

PyMODINIT_FUNC
PyInit__core(void)
{
	PyObject *m;

	if (PyType_Ready(&SweepType) < 0 || PyType_Ready(&AlgorithmType) < 0)
		return NULL;
	m = PyModule_Create(&core_module);
	if (m == NULL)
		return NULL;
	SweepError = PyErr_NewExceptionWithDoc(
	    "ringsweep.SweepError",
	    "A sweep could not go on (the engine, the algorithm or the "
	    "objective's set-up failed).", PyExc_RuntimeError, NULL);
	StoreError = PyErr_NewExceptionWithDoc(
	    "ringsweep.StoreError",
	    "The results store could not be written; what was committed "
	    "before is kept.", SweepError, NULL);
	TaskFailed = PyErr_NewExceptionWithDoc(
	    "ringsweep.TaskFailed",
	    "on_error='fail' stopped the sweep at its first failed "
	    "evaluation.", SweepError, NULL);
	Infeasible = PyErr_NewExceptionWithDoc(
		"ringsweep.Infeasible",
		"Raised by an objective for a point that has no meaning: the "
		"evaluation's status is infeasible, not a failure, never retried.",
		NULL, NULL);
	Pruned = PyErr_NewExceptionWithDoc(
		"ringsweep.Pruned",
		"Raised by an objective that ringsweep.report() told to stop: "
		"the evaluation's status is pruned, its value the last one "
		"reported; not a failure, never retried.", NULL, NULL);
	if (SweepError == NULL || StoreError == NULL || TaskFailed == NULL ||
	    Infeasible == NULL || Pruned == NULL ||
	    PyModule_AddObjectRef(m, "Pruned", Pruned) < 0 ||
	    PyModule_AddObjectRef(m, "Infeasible", Infeasible) < 0 ||
	    PyModule_AddObjectRef(m, "SweepError", SweepError) < 0 ||
	    PyModule_AddObjectRef(m, "StoreError", StoreError) < 0 ||
	    PyModule_AddObjectRef(m, "TaskFailed", TaskFailed) < 0 ||
	    PyModule_AddObjectRef(m, "Algorithm", (PyObject *)&AlgorithmType) < 0 ||
	    PyModule_AddObjectRef(m, "Sweep", (PyObject *)&SweepType) < 0 ||
	    PyModule_AddStringConstant(m, "version", RSW_VERSION_STRING) < 0 ||
#ifdef RSW_HAVE_MPI
	    PyModule_AddIntConstant(m, "HAVE_MPI", 1) < 0 ||
#else
	    PyModule_AddIntConstant(m, "HAVE_MPI", 0) < 0 ||
#endif
	    PyModule_AddIntConstant(m, "PROGRESS_NONE", RSW_PROGRESS_NONE) < 0 ||
	    PyModule_AddIntConstant(m, "PROGRESS_BAR", RSW_PROGRESS_BAR) < 0 ||
	    PyModule_AddIntConstant(m, "PROGRESS_LINES", RSW_PROGRESS_LINES) < 0 ||
	    PyModule_AddIntConstant(m, "ON_ERROR_FAIL", RSW_ON_ERROR_FAIL) < 0 ||
	    PyModule_AddIntConstant(m, "IDLE_SPIN", RSW_IDLE_SPIN) < 0 ||
	    PyModule_AddIntConstant(m, "ECANCELED", RSW_ECANCELED) < 0 ||
	    PyModule_AddIntConstant(m, "EALLFAILED", RSW_EALLFAILED) < 0 ||
	    PyModule_AddIntConstant(m, "ETASKFAILED", RSW_ETASKFAILED) < 0 ||
	    PyModule_AddIntConstant(m, "ESTORE", RSW_ESTORE) < 0 ||
	    PyModule_AddIntConstant(m, "EREPLAY", RSW_EREPLAY) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
