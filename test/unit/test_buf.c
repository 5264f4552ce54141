/*
 * test_buf.c — growable buffers: growth, the size bound, printf, handing
 * the data out, and reading a file descriptor to its end.
 */
#include <sys/mman.h>

/* A memfd holding len bytes of pattern data, positioned at its start. */
static int tbuf_memfd(size_t len)
{
	int fd = memfd_create("cpod-unit-buf", MFD_CLOEXEC);
	char chunk[4096];

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)('a' + (off + i) % 26);
		if (write(fd, chunk, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
		off += n;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static bool tbuf_pattern_ok(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (char)('a' + i % 26))
			return false;
	return p[len] == '\0';
}

TEST(buf_grows)
{
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err err;

	for (size_t i = 0; i < 100000; i++)
		CHECK(buf_putc(&b, (char)('a' + i % 26), &err) == 0);
	CHECK(b.len == 100000);
	CHECK(b.cap > b.len);
	CHECK(tbuf_pattern_ok(b.data, b.len));
	CHECK(!b.failed);
	CHECK(buf_append(&b, "", 0, &err) == 0);
	CHECK(b.len == 100000);
	CHECK(buf_puts(&b, "xyz", &err) == 0);
	CHECK(strcmp(b.data + 100000, "xyz") == 0);

	/* an empty append still gives a C string */
	_cleanup_buf_ buf e = BUF_INIT;
	CHECK(buf_append(&e, NULL, 0, &err) == 0);
	CHECK(e.data && e.data[0] == '\0' && e.len == 0);
}

TEST(buf_max_is_a_hard_limit)
{
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err err;

	b.max = 16;
	CHECK(buf_append(&b, "0123456789abcdef", 16, &err) == 0);
	CHECK(b.len == 16);
	cpod_err_clear(&err);
	CHECK(buf_putc(&b, 'x', &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	CHECK(b.failed);
	CHECK(b.len == 16);
	CHECK_STR(b.data, "0123456789abcdef");
	/* a failed buffer does not hand out incomplete data */
	char *p = buf_take(&b, &err);
	CHECK(!p);
	CHECK(err.code == CPOD_E_NOMEM);

	/* a reset clears the failure; huge sizes do not overflow */
	_cleanup_buf_ buf c = BUF_INIT;
	CHECK(buf_reserve(&c, SIZE_MAX, &err) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	CHECK(buf_puts(&c, "ok", &err) == 0);
	c.failed = true;
	buf_reset(&c);
	CHECK(!c.failed && c.len == 0 && c.data[0] == '\0' && c.cap > 0);
}

TEST(buf_printf_formats_and_appends)
{
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err err;

	CHECK(buf_printf(&b, &err, "%s-%d", "pid", 42) == 0);
	CHECK(buf_printf(&b, &err, "/%05x", 0xbeef) == 0);
	CHECK_STR(b.data, "pid-42/0beef");
	CHECK(buf_printf(&b, &err, "%s", "") == 0);
	CHECK(b.len == 12);
	/* longer than any initial capacity */
	CHECK(buf_printf(&b, &err, "%5000s|", "end") == 0);
	CHECK(b.len == 12 + 5001);
	CHECK(strcmp(b.data + b.len - 4, "end|") == 0);
	CHECK(b.data[b.len] == '\0');

	_cleanup_buf_ buf m = BUF_INIT;
	m.max = 8;
	CHECK(buf_printf(&m, &err, "%s", "12345678") == 0);
	cpod_err_clear(&err);
	CHECK(buf_printf(&m, &err, "%d", 9) < 0);
	CHECK(err.code == CPOD_E_LIMIT);
	CHECK(m.failed);
	CHECK_STR(m.data, "12345678");
}

TEST(buf_take_hands_out_the_data)
{
	buf b = BUF_INIT;
	cpod_err err;

	CHECK(buf_puts(&b, "hello", &err) == 0);
	char *p = buf_take(&b, &err);
	bool ok = p && strcmp(p, "hello") == 0;
	free(p);
	CHECK(ok);
	CHECK(!b.data && b.len == 0 && b.cap == 0);
	/* a buffer never written to gives an empty string, not NULL */
	p = buf_take(&b, &err);
	ok = p && p[0] == '\0';
	free(p);
	buf_free(&b);
	CHECK_MSG(ok, "buf_take of an empty buffer: not an empty C string");
}

TEST(buf_read_fd_reads_to_the_end)
{
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err err;

	/* larger than the read chunk, so the buffer grows while reading */
	int fd = tbuf_memfd(100000);
	CHECK(fd >= 0);
	CHECK_MSG(buf_read_fd(&b, fd, 0, &err) == 0, "%s", err.msg);
	close(fd);
	CHECK(b.len == 100000);
	CHECK(tbuf_pattern_ok(b.data, b.len));

	/* an empty file */
	_cleanup_buf_ buf e = BUF_INIT;
	fd = tbuf_memfd(0);
	CHECK(fd >= 0);
	CHECK(buf_read_fd(&e, fd, 10, &err) == 0);
	close(fd);
	CHECK(e.len == 0 && e.data && e.data[0] == '\0');

	/* a pipe, appended after what the buffer holds */
	_cleanup_buf_ buf p = BUF_INIT;
	int pfd[2];
	CHECK(pipe2(pfd, O_CLOEXEC) == 0);
	CHECK(write(pfd[1], "world", 5) == 5);
	close(pfd[1]);
	CHECK(buf_puts(&p, "hello ", &err) == 0);
	CHECK(buf_read_fd(&p, pfd[0], 5, &err) == 0);
	close(pfd[0]);
	CHECK_STR(p.data, "hello world");
}

TEST(buf_read_fd_max_argument)
{
	cpod_err err;

	/* exactly max bytes is fine, one more is not */
	for (size_t len = 99999; len <= 100001; len++) {
		_cleanup_buf_ buf b = BUF_INIT;
		int fd = tbuf_memfd(len);
		CHECK(fd >= 0);
		cpod_err_clear(&err);
		int r = buf_read_fd(&b, fd, 100000, &err);
		close(fd);
		if (len <= 100000) {
			CHECK_MSG(r == 0, "%zu bytes with max 100000: %s", len, err.msg);
			CHECK(b.len == len && tbuf_pattern_ok(b.data, len));
		} else {
			CHECK_MSG(r < 0 && err.code == CPOD_E_LIMIT, "%zu bytes with max 100000", len);
		}
	}
}

/* A bounded buffer (buf.max) can read a file that fits in the bound. */
TEST(buf_read_fd_into_bounded_buffer)
{
	cpod_err err;
	_cleanup_buf_ buf b = BUF_INIT;
	int fd = tbuf_memfd(50);

	CHECK(fd >= 0);
	b.max = 100;
	cpod_err_clear(&err);
	int r = buf_read_fd(&b, fd, 0, &err);
	close(fd);
	CHECK_MSG(r == 0, "50 bytes into a buffer bounded to 100: %s", err.msg);
	CHECK(b.len == 50 && tbuf_pattern_ok(b.data, 50));

	/* and fails, with the limit error, for one that does not */
	_cleanup_buf_ buf c = BUF_INIT;
	fd = tbuf_memfd(101);
	CHECK(fd >= 0);
	c.max = 100;
	r = buf_read_fd(&c, fd, 0, &err);
	close(fd);
	CHECK(r < 0 && err.code == CPOD_E_LIMIT);
}

TEST(digest_known_vectors)
{
	char out[DIGEST_STR_LEN + 1];
	digest_buf("", 0, out);
	CHECK_STR(out, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_buf("abc", 3, out);
	CHECK_STR(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* split updates across block boundaries give the same digest */
	static char big[1000003];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 31);
	char one[DIGEST_STR_LEN + 1], parts[DIGEST_STR_LEN + 1];
	digest_buf(big, sizeof(big), one);
	digest_ctx c;
	digest_init(&c);
	for (size_t off = 0, step = 1; off < sizeof(big); off += step, step = step * 3 % 997 + 1)
		digest_update(&c, big + off, off + step > sizeof(big) ? sizeof(big) - off : step);
	digest_final(&c, parts);
	CHECK_STR(parts, one);
	CHECK(digest_valid(one, NULL));
	CHECK(!digest_valid("sha256:E3B0", NULL));
	CHECK(!digest_valid("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL));
}
