/* cmd_info.c - `l1 info`: placeholder until the GGUF reader lands. */
#include "cli.h"

int l1cli_info(int argc, char **argv) {
    (void)argc;
    l1cli_err(argv[0], "not implemented yet");
    return 1;
}
