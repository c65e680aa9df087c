/*
 * harness.c: locating the real broker and registry for integration tests.
 */
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

char *weir_test_env_file_get(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[1024];
    size_t klen = strlen(key);
    char *val = NULL;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, key, klen) && line[klen] == '=') {
            char *v = line + klen + 1;
            v[strcspn(v, "\r\n")] = '\0';
            val = strdup(v);
            break;
        }
    }
    fclose(f);
    return val;
}

static const char *env_dir(void)
{
    const char *dir = getenv("WEIR_TEST_ENV_DIR");
#ifdef WEIR_TEST_ENV_DIR
    if (!dir)
        dir = WEIR_TEST_ENV_DIR;
#endif
    return dir;
}

static const char *service_value(const char *env_var, const char *svc,
                                 const char *key, char *cache,
                                 size_t cache_size)
{
    if (cache[0])
        return cache;
    const char *v = getenv(env_var);
    char *fromfile = NULL;
    if (!v || !*v) {
        const char *dir = env_dir();
        if (dir) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s/%s.env", dir, svc, svc);
            fromfile = weir_test_env_file_get(path, key);
            v = fromfile;
        }
    }
    if (!v || !*v)
        ck_abort_msg("no %s for this integration test: set %s, or run it "
                     "through ctest so the '%s' fixture starts one "
                     "(scripts/%s.sh start --dir %s/%s)",
                     svc, env_var, svc, svc,
                     env_dir() ? env_dir() : "<build>/test-services", svc);
    snprintf(cache, cache_size, "%s", v);
    free(fromfile);
    return cache;
}

const char *weir_test_bootstrap(void)
{
    static char cache[512];
    return service_value("WEIR_TEST_BOOTSTRAP", "kafka", "KAFKA_BOOTSTRAP",
                         cache, sizeof(cache));
}

const char *weir_test_registry(void)
{
    static char cache[512];
    return service_value("WEIR_TEST_REGISTRY", "registry", "REGISTRY_URL",
                         cache, sizeof(cache));
}

long weir_test_registry_pid(void)
{
    const char *dir = env_dir();
    if (!dir || getenv("WEIR_TEST_REGISTRY"))
        return -1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/registry/registry.env", dir);
    char *pid = weir_test_env_file_get(path, "REGISTRY_PID");
    long v = pid ? strtol(pid, NULL, 10) : -1;
    free(pid);
    return v;
}

char *weir_test_unique_name(const char *prefix)
{
    static unsigned counter;
    static unsigned salt;
    if (!salt) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        salt = (unsigned)(ts.tv_nsec ^ (unsigned)getpid()) % 1000000u;
    }
    char buf[256];
    snprintf(buf, sizeof(buf), "%s-%ld-%u-%06u", prefix, (long)getpid(),
             counter++, salt);
    return strdup(buf);
}
