/*
 * registry_memory.c: an in-process schema registry, the backend behind
 * weir_registry_memory_new(), for tests and the embedded demo.
 *
 * It keeps Confluent's id semantics (those of Apicurio's default content-id
 * mode too): an id names a schema *text*, so the same text registered under
 * two subjects gets one id, and registering a text a subject already holds
 * returns its id instead of a new version. Schemas are compared as exact
 * text; a real registry may also match texts that differ only in
 * whitespace, which no caller can rely on anyway.
 *
 * It can be marked unavailable (weir_registry_memory_set_available()):
 * then every call fails as an unreachable HTTP registry would, with a
 * retriable WEIR_ERR_REGISTRY error, so registry.c's retry loop and the
 * callers' "never skip data" handling are tested without a network.
 *
 * Everything lives in two arrays under one mutex: a registry for tests
 * holds a handful of schemas, and lookups are rare behind the cache.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc_int.h"
#include "registry_int.h"

typedef struct mem_schema_s {
    int32_t id;
    char *type;
    char *text;
} mem_schema_t;

typedef struct mem_version_s {
    char *subject;
    int32_t id;
} mem_version_t;

typedef struct mem_backend_s {
    pthread_mutex_t lock;
    weir_registry_t *reg; /* back pointer, for the request counter */
    atomic_bool available;
    mem_schema_t *schemas; /* index id-1 */
    size_t n_schemas;
    mem_version_t *versions;
    size_t n_versions;
} mem_backend_t;

static weir_error_t *unavailable(void)
{
    return weir_error_set_retriable(
        weir_error_new(WEIR_ERR_REGISTRY,
                       "in-process registry is marked unavailable"),
        true);
}

static weir_error_t *mem_enter(mem_backend_t *mb)
{
    weir__registry_count_request(mb->reg);
    if (!atomic_load(&mb->available))
        return unavailable();
    pthread_mutex_lock(&mb->lock);
    return NULL;
}

static mem_schema_t *find_text(mem_backend_t *mb, const char *type,
                               const char *text)
{
    for (size_t i = 0; i < mb->n_schemas; i++) {
        if (!strcmp(mb->schemas[i].type, type) &&
            !strcmp(mb->schemas[i].text, text))
            return &mb->schemas[i];
    }
    return NULL;
}

static bool subject_has(mem_backend_t *mb, const char *subject, int32_t id)
{
    for (size_t i = 0; i < mb->n_versions; i++) {
        if (mb->versions[i].id == id &&
            !strcmp(mb->versions[i].subject, subject))
            return true;
    }
    return false;
}

static weir_error_t *mem_get_by_id(void *be, int64_t deadline_ms, int32_t id,
                                   char **typep, char **textp)
{
    mem_backend_t *mb = be;
    (void)deadline_ms; /* answers at once */
    weir_error_t *err = mem_enter(mb);
    if (err)
        return err;
    if (id < 1 || (size_t)id > mb->n_schemas) {
        pthread_mutex_unlock(&mb->lock);
        return weir_error_new(WEIR_ERR_NOT_FOUND,
                              "in-process registry: schema id %d not found",
                              (int)id);
    }
    const mem_schema_t *s = &mb->schemas[id - 1];
    *typep = weir__strdup(s->type);
    *textp = weir__strdup(s->text);
    pthread_mutex_unlock(&mb->lock);
    if (!*typep || !*textp) {
        weir__free(*typep);
        weir__free(*textp);
        *typep = *textp = NULL;
        return weir_error_new(WEIR_ERR_NOMEM, "schema id %d", (int)id);
    }
    return NULL;
}

static weir_error_t *mem_register(void *be, int64_t deadline_ms,
                                  const char *subject, const char *type,
                                  const char *text, int32_t *idp)
{
    mem_backend_t *mb = be;
    (void)deadline_ms;
    weir_error_t *err = mem_enter(mb);
    if (err)
        return err;
    mem_schema_t *s = find_text(mb, type, text);
    if (!s) {
        mem_schema_t *grown = weir__realloc(mb->schemas, (mb->n_schemas + 1) *
                                                             sizeof(*grown));
        if (!grown)
            goto nomem;
        mb->schemas = grown;
        s = &mb->schemas[mb->n_schemas];
        s->type = weir__strdup(type);
        s->text = weir__strdup(text);
        if (!s->type || !s->text) {
            weir__free(s->type);
            weir__free(s->text);
            goto nomem;
        }
        s->id = (int32_t)++mb->n_schemas;
    }
    if (!subject_has(mb, subject, s->id)) {
        mem_version_t *grown = weir__realloc(
            mb->versions, (mb->n_versions + 1) * sizeof(*grown));
        if (!grown)
            goto nomem;
        mb->versions = grown;
        char *copy = weir__strdup(subject);
        if (!copy)
            goto nomem;
        mb->versions[mb->n_versions].subject = copy;
        mb->versions[mb->n_versions].id = s->id;
        mb->n_versions++;
    }
    *idp = s->id;
    pthread_mutex_unlock(&mb->lock);
    return NULL;
nomem:
    pthread_mutex_unlock(&mb->lock);
    return weir_error_new(WEIR_ERR_NOMEM, "in-process registry: subject %s",
                          subject);
}

static weir_error_t *mem_lookup(void *be, int64_t deadline_ms,
                                const char *subject, const char *type,
                                const char *text, int32_t *idp, bool *foundp)
{
    mem_backend_t *mb = be;
    (void)deadline_ms;
    weir_error_t *err = mem_enter(mb);
    if (err)
        return err;
    const mem_schema_t *s = find_text(mb, type, text);
    *foundp = s && subject_has(mb, subject, s->id);
    *idp = *foundp ? s->id : -1;
    pthread_mutex_unlock(&mb->lock);
    return NULL;
}

static void mem_destroy(void *be)
{
    mem_backend_t *mb = be;
    for (size_t i = 0; i < mb->n_schemas; i++) {
        weir__free(mb->schemas[i].type);
        weir__free(mb->schemas[i].text);
    }
    for (size_t i = 0; i < mb->n_versions; i++)
        weir__free(mb->versions[i].subject);
    weir__free(mb->schemas);
    weir__free(mb->versions);
    pthread_mutex_destroy(&mb->lock);
    weir__free(mb);
}

static const weir__registry_backend_ops_t mem_ops = {
    .name = "memory",
    .get_by_id = mem_get_by_id,
    .register_schema = mem_register,
    .lookup = mem_lookup,
    .destroy = mem_destroy,
};

weir_registry_t *weir__registry_new_memory(weir__registry_settings_t *s,
                                           weir_error_t **errp)
{
    *errp = NULL;
    mem_backend_t *mb = weir__calloc(1, sizeof(*mb));
    if (!mb) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "in-process registry");
        return NULL;
    }
    pthread_mutex_init(&mb->lock, NULL);
    atomic_init(&mb->available, true);
    weir_registry_t *reg = weir__registry_new(&mem_ops, mb, s, errp);
    if (!reg)
        return NULL;
    mb->reg = reg;
    return reg;
}

weir_error_t *weir_registry_memory_set_available(weir_registry_t *reg,
                                                 bool available)
{
    mem_backend_t *mb = weir__registry_backend(reg, &mem_ops);
    if (!mb)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "not an in-process registry");
    atomic_store(&mb->available, available);
    return NULL;
}
