/*
 * testutil: the temporary directory the unit tests write their files into.
 * Header-only, included after <cmocka.h>.
 */
#ifndef RFMGW_TESTUTIL_H
#define RFMGW_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

/** The test's directory, made by test_tmpdir(). */
static char tmpdir[256];

/** Makes a fresh directory /tmp/<prefix>.XXXXXX in `tmpdir`; returns 0 or -1. */
static inline int test_tmpdir(const char *prefix)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", prefix);
    return mkdtemp(tmpdir) ? 0 : -1;
}

/** Writes `text` to tmpdir/name (asserting it can). */
static inline void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/** Removes tmpdir and everything in it; returns 0 or -1. */
static inline int test_rmtmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
