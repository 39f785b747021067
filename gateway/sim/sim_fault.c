/*
 * sim_fault: the fault settings of abapsim as a plain struct, with their
 * JSON form for the admin endpoint.
 *
 * The struct is copied by value wherever it is used (the server keeps one
 * under a mutex and takes snapshots), so it holds no pointers; per-RFM
 * entries live in a fixed array. A PUT applies to a copy that replaces the
 * original only when the whole body was valid, so a bad request changes
 * nothing.
 */
#include "sim/sim.h"
#include "error/error.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sim_faults_from_config(sim_faults_t *f, const sim_config_t *cfg)
{
    memset(f, 0, sizeof(*f));
    f->all.latency_ms = cfg->fault_latency_ms;
    f->all.drop_probability = cfg->fault_drop_probability;
    f->all.garbage_reply = cfg->fault_garbage_reply != 0;
    f->all.truncate_reply = cfg->fault_truncate_reply != 0;
    f->refuse_connections = cfg->fault_refuse_connections != 0;
    f->black_hole = cfg->fault_black_hole != 0;
    f->max_sessions = cfg->max_sessions;
    f->seed = (uint64_t)cfg->fault_seed;
}

__attribute__((format(printf, 3, 4))) static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return GW_EINVAL;
}

static int get_int(json_t *v, const char *where, int64_t min, int64_t max, int64_t *out, char *err,
                   size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return bad(err, errlen, "%s: expected an integer %lld..%lld", where, (long long)min,
                   (long long)max);
    *out = json_integer_value(v);
    return 0;
}

static int get_bool(json_t *v, const char *where, int *out, char *err, size_t errlen)
{
    if (!json_is_boolean(v))
        return bad(err, errlen, "%s: expected true or false", where);
    *out = json_is_true(v);
    return 0;
}

/* Applies the action keys of `o`; `other` is set when a key is not an action key. */
static int apply_action(sim_fault_action_t *a, const char *key, json_t *v, const char *where,
                        int *handled, char *err, size_t errlen)
{
    char w[96];
    snprintf(w, sizeof(w), "%s%s", where, key);
    *handled = 1;
    if (strcmp(key, "latency_ms") == 0)
        return get_int(v, w, 0, 3600000, &a->latency_ms, err, errlen);
    if (strcmp(key, "drop_probability") == 0) {
        if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 1))
            return bad(err, errlen, "%s: expected a number 0..1", w);
        a->drop_probability = json_number_value(v);
        return 0;
    }
    if (strcmp(key, "garbage_reply") == 0)
        return get_bool(v, w, &a->garbage_reply, err, errlen);
    if (strcmp(key, "truncate_reply") == 0)
        return get_bool(v, w, &a->truncate_reply, err, errlen);
    *handled = 0;
    return 0;
}

static int apply_rfms(sim_faults_t *f, json_t *rfms, char *err, size_t errlen)
{
    const char *name;
    json_t *v;
    if (!json_is_object(rfms))
        return bad(err, errlen, "rfms: expected an object {\"NAME\": {...}}");
    json_object_foreach(rfms, name, v)
    {
        size_t n = strlen(name), i;
        if (n == 0 || n > 30)
            return bad(err, errlen, "rfms: '%.40s' is not an RFM name", name);
        for (i = 0; i < f->nrfms; i++)
            if (strcmp(f->rfms[i].name, name) == 0)
                break;
        if (json_is_null(v)) {
            if (i < f->nrfms) {
                memmove(&f->rfms[i], &f->rfms[i + 1], (f->nrfms - i - 1) * sizeof(f->rfms[0]));
                f->nrfms--;
            }
            continue;
        }
        if (!json_is_object(v))
            return bad(err, errlen, "rfms.%s: expected an object or null", name);
        if (i == f->nrfms) {
            if (f->nrfms == SIM_FAULT_MAX_RFMS)
                return bad(err, errlen, "rfms: at most %d RFMs", SIM_FAULT_MAX_RFMS);
            memset(&f->rfms[i], 0, sizeof(f->rfms[i]));
            memcpy(f->rfms[i].name, name, n + 1);
            f->nrfms++;
        }
        char where[64];
        snprintf(where, sizeof(where), "rfms.%s.", name);
        const char *key;
        json_t *x;
        json_object_foreach(v, key, x)
        {
            int handled, ret = apply_action(&f->rfms[i].a, key, x, where, &handled, err, errlen);
            if (ret != 0)
                return ret;
            if (!handled)
                return bad(err, errlen, "%s%s: unknown setting", where, key);
        }
    }
    return 0;
}

int sim_faults_apply_json(sim_faults_t *f, const char *json, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    sim_faults_t t = *f;
    const char *key;
    json_t *v;
    int ret = 0;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);

    if (root == NULL)
        return bad(err, errlen, "malformed JSON at line %d column %d: %s", je.line, je.column,
                   je.text);
    if (!json_is_object(root)) {
        ret = bad(err, errlen, "expected a JSON object");
        goto cleanup;
    }
    json_object_foreach(root, key, v)
    {
        int handled, b = 0;
        int64_t i = 0;
        if ((ret = apply_action(&t.all, key, v, "", &handled, err, errlen)) != 0)
            goto cleanup;
        if (handled)
            continue;
        if (strcmp(key, "rfms") == 0)
            ret = apply_rfms(&t, v, err, errlen);
        else if (strcmp(key, "refuse_connections") == 0) {
            if ((ret = get_bool(v, key, &b, err, errlen)) == 0)
                t.refuse_connections = b;
        } else if (strcmp(key, "black_hole") == 0) {
            if ((ret = get_bool(v, key, &b, err, errlen)) == 0)
                t.black_hole = b;
        } else if (strcmp(key, "max_sessions") == 0) {
            if ((ret = get_int(v, key, 0, 1000000, &i, err, errlen)) == 0)
                t.max_sessions = i;
        } else if (strcmp(key, "seed") == 0) {
            if ((ret = get_int(v, key, 0, INT64_MAX, &i, err, errlen)) == 0)
                t.seed = (uint64_t)i;
        } else
            ret = bad(err, errlen, "%s: unknown setting", key);
        if (ret != 0)
            goto cleanup;
    }
    *f = t;
cleanup:
    json_decref(root);
    return ret;
}

static json_t *action_json(const sim_fault_action_t *a)
{
    return json_pack("{s:I,s:f,s:b,s:b}", "latency_ms", (json_int_t)a->latency_ms,
                     "drop_probability", a->drop_probability, "garbage_reply", a->garbage_reply,
                     "truncate_reply", a->truncate_reply);
}

char *sim_faults_to_json(const sim_faults_t *f)
{
    json_t *o = action_json(&f->all);
    json_t *rfms = json_object();
    char *s = NULL;
    if (o == NULL || rfms == NULL)
        goto cleanup;
    for (size_t i = 0; i < f->nrfms; i++)
        json_object_set_new(rfms, f->rfms[i].name, action_json(&f->rfms[i].a));
    json_object_set(o, "rfms", rfms);
    json_object_set_new(o, "refuse_connections", json_boolean(f->refuse_connections));
    json_object_set_new(o, "black_hole", json_boolean(f->black_hole));
    json_object_set_new(o, "max_sessions", json_integer((json_int_t)f->max_sessions));
    json_object_set_new(o, "seed", json_integer((json_int_t)f->seed));
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
cleanup:
    json_decref(rfms);
    json_decref(o);
    return s;
}

const sim_fault_action_t *sim_faults_for(const sim_faults_t *f, gw_slice_t rfm)
{
    for (size_t i = 0; i < f->nrfms; i++)
        if (gw_slice_eq_str(rfm, f->rfms[i].name))
            return &f->rfms[i].a;
    return &f->all;
}

double sim_rng_unit(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}
