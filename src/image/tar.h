/*
 * tar.h — reading and writing tar streams (layers, archives, exports).
 *
 * The reader is a pull parser over a byte_source: tar_next returns each
 * entry with its metadata already merged from ustar, GNU (long names and
 * links; sparse files are refused) and PAX headers (path, linkpath, size,
 * uid, gid, uname, gname, mtime with fractions, SCHILY.xattr.*), then the
 * entry's data is read with tar_read_data or tar_data_chunk.  Every header
 * is bounded and checked (checksum, numbers in octal or base-256, sizes,
 * name lengths, PAX record counts), so hostile input gets an error naming
 * the entry.  Paths are returned as they are in the archive: judging them
 * ("..", absolute) is the caller's job (layer.c).
 *
 * The writer produces ustar entries, with PAX records where a value does
 * not fit (long names, big sizes, xattrs, sub-second mtimes).
 */
#ifndef CPOD_IMAGE_TAR_H
#define CPOD_IMAGE_TAR_H
#include "../base/stream.h"
#include "../base/buf.h"

enum tar_type {
	TAR_FILE = '0',
	TAR_HARDLINK = '1',
	TAR_SYMLINK = '2',
	TAR_CHAR = '3',
	TAR_BLOCK = '4',
	TAR_DIR = '5',
	TAR_FIFO = '6',
};

typedef struct tar_xattr {
	const char *name;
	const void *value;
	size_t len;
} tar_xattr;

typedef struct tar_entry {
	const char *path;      /* as in the archive, NUL-free */
	const char *linkname;  /* hard and symbolic links */
	char type;             /* enum tar_type ('7' contiguous files are reported as '0') */
	uint64_t size;         /* data bytes (files only; 0 for others) */
	uint32_t mode;         /* permission bits, setuid/setgid/sticky included */
	uint64_t uid, gid;
	const char *uname, *gname;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t devmajor, devminor;
	const tar_xattr *xattrs;
	size_t n_xattrs;
} tar_entry;

typedef struct tar_limits {
	size_t max_path;        /* 0: 4096 */
	size_t max_pax;         /* bytes of one PAX header; 0: 1 MiB */
	size_t max_xattrs;      /* per entry; 0: 128 */
	uint64_t max_entry;     /* bytes of one file; 0: 64 GiB */
} tar_limits;

typedef struct tar_reader tar_reader;

CPOD_INTERNAL tar_reader *tar_reader_new(const byte_source *src, const tar_limits *lim,
					 cpod_err *err);

/* A source that lends its own buffers: next points *p at the following
 * bytes of the stream (valid until the next call), returns their count, 0
 * at the end, -1 on error.  A reader over one reads file data in place,
 * without copying (the layer unpacker's decompression ring). */
typedef struct tar_chunk_source {
	ssize_t (*next)(void *ctx, const void **p, cpod_err *err);
	void *ctx;
} tar_chunk_source;
CPOD_INTERNAL tar_reader *tar_reader_new_chunks(const tar_chunk_source *src,
						const tar_limits *lim, cpod_err *err);
CPOD_INTERNAL void tar_reader_free(tar_reader *r);
/* 1 and *e set: an entry (valid until the next call); 0: the end of the
 * archive; -1: an error.  Unread data of the previous entry is skipped. */
CPOD_INTERNAL int tar_next(tar_reader *r, const tar_entry **e, cpod_err *err);
/* Reads the current entry's data: the count, 0 at its end, -1 on error
 * (a stream that ends early is an error naming the entry). */
CPOD_INTERNAL ssize_t tar_read_data(tar_reader *r, void *data, size_t n, cpod_err *err);
/* Zero-copy: points *p at the next piece of the current entry's data, in
 * the reader's own buffer (valid until the next call). */
CPOD_INTERNAL ssize_t tar_data_chunk(tar_reader *r, const void **p, cpod_err *err);
/* Bytes of archive consumed so far (for progress and bounds). */
CPOD_INTERNAL uint64_t tar_offset(const tar_reader *r);

typedef struct tar_writer tar_writer;
/* out: where the archive goes (a fd; the writer buffers). */
CPOD_INTERNAL tar_writer *tar_writer_new(int out_fd, cpod_err *err);
/* The same into a callback (a compressor, a digest): write takes all n
 * bytes or fails. */
typedef struct tar_sink {
	int (*write)(void *ctx, const void *data, size_t n, cpod_err *err);
	void *ctx;
} tar_sink;
CPOD_INTERNAL tar_writer *tar_writer_new_sink(const tar_sink *sink, cpod_err *err);
/* Bytes of archive produced so far. */
CPOD_INTERNAL uint64_t tar_writer_offset(const tar_writer *w);
/* Writes an entry's header; for TAR_FILE the caller then writes exactly
 * e->size bytes with tar_write_data. */
CPOD_INTERNAL int tar_write_header(tar_writer *w, const tar_entry *e, cpod_err *err);
CPOD_INTERNAL int tar_write_data(tar_writer *w, const void *data, size_t n, cpod_err *err);
/* Writes an entry for the file at dirfd/path as found on disk (lstat,
 * xattrs, content), under the archive name name. */
CPOD_INTERNAL int tar_write_file(tar_writer *w, int dirfd, const char *path, const char *name,
				 cpod_err *err);
/* Writes the end-of-archive blocks and flushes; frees the writer. */
CPOD_INTERNAL int tar_writer_finish(tar_writer *w, cpod_err *err);
CPOD_INTERNAL void tar_writer_free(tar_writer *w);

#endif
