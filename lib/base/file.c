/*
 * file.c - read-only file mapping with a read() fallback.
 *
 * Model files are large and read once per token, so they are mapped rather
 * than copied.  Only regular files are accepted: mapping a FIFO blocks,
 * mapping /dev/zero gives an endless "file", and a directory has no bytes.
 * The size is taken once at open; a file truncated afterwards can still
 * raise SIGBUS on access to the missing pages, which is the documented
 * limit of mapping (use force_read to copy the file instead).
 */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    return "not a regular file";
}

/* Reads exactly `size` bytes from fd into buf; EINTR and short reads retried. */
static l1_status read_all(int fd, uint8_t *buf, uint64_t size, const char *path) {
    uint64_t done = 0;
    while (done < size) {
        uint64_t want = size - done;
        if (want > (1u << 30)) want = 1u << 30;
        ssize_t n = read(fd, buf + done, (size_t)want);
        if (n < 0) {
            if (errno == EINTR) continue;
            return l1__error(L1_ERR_IO, "%s: read failed: %s", path, strerror(errno));
        }
        if (n == 0)
            return l1__error(L1_ERR_IO, "%s: file shrank while reading (%llu of %llu bytes)", path,
                             (unsigned long long)done, (unsigned long long)size);
        done += (uint64_t)n;
    }
    return L1_OK;
}

l1_status l1__file_open(const char *path, bool force_read, l1__file *out) {
    if (!path || !out) return l1__error(L1_ERR_INVALID_ARG, "file_open: NULL argument");
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return l1__error(L1_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return l1__error(L1_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return l1__error(L1_ERR_IO, "%s: is %s, not a regular file", path, kind_of(st.st_mode));
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size > (uint64_t)SIZE_MAX) {
        close(fd);
        return l1__error(L1_ERR_IO, "%s: file too large for this address space", path);
    }
    out->size = size;
    if (size == 0) {
        close(fd);
        return L1_OK;
    }
    if (!force_read) {
        void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            out->data = p;
            out->mapped = true;
            return L1_OK;
        }
        l1__log(L1_LOG_DEBUG, "%s: mmap failed (%s), reading instead", path, strerror(errno));
    }
    uint8_t *buf = l1__malloc((size_t)size);
    if (!buf) {
        close(fd);
        return l1__error(L1_ERR_NOMEM, "%s: cannot allocate %llu bytes to read it", path,
                         (unsigned long long)size);
    }
    /* Clear O_NONBLOCK for the reads; it only guarded open() against FIFOs. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    l1_status st2 = read_all(fd, buf, size, path);
    close(fd);
    if (st2 != L1_OK) {
        l1__free(buf);
        out->size = 0;
        return st2;
    }
    out->data = buf;
    out->mapped = false;
    return L1_OK;
}

void l1__file_close(l1__file *f) {
    if (!f) return;
    if (f->data) {
        if (f->mapped)
            munmap((void *)(uintptr_t)f->data, (size_t)f->size);
        else
            l1__free((void *)(uintptr_t)f->data);
    }
    memset(f, 0, sizeof *f);
}
