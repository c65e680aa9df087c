/*
 * conf_doc.c: weir-conf-doc prints CONFIGURATION.md, generated from the
 * property table; a test checks the committed file matches.
 */
#include <stdio.h>

#include <weir/conf.h>

int main(void)
{
    char *md = weir_conf_reference_markdown();
    if (!md) {
        fprintf(stderr, "weir-conf-doc: out of memory\n");
        return 1;
    }
    fputs(md, stdout);
    weir_free(md);
    return 0;
}
