/* version.c - the smallest program using libl1: prints the library version
 * and checks that the header and the library agree.  `make test` builds it
 * against an installed copy through pkg-config. */
#include <stdio.h>

#include <l1.h>

int main(void) {
    printf("libl1 %s\n", l1_version());
    if (l1_version_number() != L1_VERSION_NUMBER) {
        fprintf(stderr, "header %d and library %d disagree\n", L1_VERSION_NUMBER, l1_version_number());
        return 1;
    }
    return 0;
}
