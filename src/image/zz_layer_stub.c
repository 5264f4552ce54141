/* TEMPORARY: until the layer branch is merged. */
#include "layer.h"
CPOD_INTERNAL int layer_unpack(int dirfd, const byte_source *src, const layer_opts *o, layer_result *res, cpod_err *err) { return err_set(err, CPOD_E_UNSUPPORTED, "layer stub"); }
CPOD_INTERNAL int layer_digest(const byte_source *src, layer_result *res, cpod_err *err) { return err_set(err, CPOD_E_UNSUPPORTED, "layer stub"); }
CPOD_INTERNAL int layer_pack(int dirfd, int out_fd, bool compress, layer_result *res, cpod_err *err) { return err_set(err, CPOD_E_UNSUPPORTED, "layer stub"); }
struct tar_reader { int x; };
struct tar_writer { int x; };
CPOD_INTERNAL tar_reader *tar_reader_new(const byte_source *src, const tar_limits *lim, cpod_err *err) { err_set(err, CPOD_E_UNSUPPORTED, "stub"); return NULL; }
CPOD_INTERNAL void tar_reader_free(tar_reader *r) {}
CPOD_INTERNAL int tar_next(tar_reader *r, const tar_entry **e, cpod_err *err) { return -1; }
CPOD_INTERNAL ssize_t tar_read_data(tar_reader *r, void *data, size_t n, cpod_err *err) { return -1; }
CPOD_INTERNAL ssize_t tar_data_chunk(tar_reader *r, const void **p, cpod_err *err) { return -1; }
CPOD_INTERNAL uint64_t tar_offset(const tar_reader *r) { return 0; }
CPOD_INTERNAL tar_writer *tar_writer_new(int out_fd, cpod_err *err) { err_set(err, CPOD_E_UNSUPPORTED, "stub"); return NULL; }
CPOD_INTERNAL int tar_write_header(tar_writer *w, const tar_entry *e, cpod_err *err) { return -1; }
CPOD_INTERNAL int tar_write_data(tar_writer *w, const void *data, size_t n, cpod_err *err) { return -1; }
CPOD_INTERNAL int tar_write_file(tar_writer *w, int dirfd, const char *path, const char *name, cpod_err *err) { return -1; }
CPOD_INTERNAL int tar_writer_finish(tar_writer *w, cpod_err *err) { return -1; }
CPOD_INTERNAL void tar_writer_free(tar_writer *w) {}
