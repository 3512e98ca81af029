/* See ops.h. */
#include "cli/ops.h"

#include "util/version.h"

void gh_cli_print_version(FILE *out)
{
    fprintf(out, "gatehouse %s (commit %s)\n", gh_version(), gh_commit());
    const gh_library *l = gh_libraries();
    for (int i = 0; i < GH_LIBRARIES; i++)
        fprintf(out, "%-14s %s\n", l[i].name, l[i].version);
}

void gh_cli_print_banner(FILE *out, const gh_cli_banner *b)
{
    fprintf(out, "\nGatehouse %s is running.\n", gh_version());
    fprintf(out, "  Console:  %s\n", b->console);
    fprintf(out, "  Database: %s (%s)\n", b->database, b->engine);
    if (b->setup != NULL)
        fprintf(out, "  Set-up:   %s   (only while there is no administrator)\n", b->setup);
    fprintf(out, "Press Ctrl+C to stop.\n\n");
    fflush(out);
}
