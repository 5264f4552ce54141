/*
 * fuzz_usernet.c — libFuzzer target for the user-mode stack's frame path.
 *
 * The input is a sequence of frames, each a 2-byte length (big-endian),
 * a tap number (0 or 1) and the frame (virtio header first), as two
 * containers on one network would write them.  The stack runs in its fuzz
 * mode: no host sockets, TCP flows "connect" at once and take all data, so
 * handshakes, data, FIN and RST paths are all reachable; frames it sends
 * go nowhere.  Beyond "no crash": the flow table's counts stay consistent.
 */
#include "cpod-lines.c"

static void fuzz_usernet_die(const char *what)
{
	fprintf(stderr, "fuzz_usernet: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static un_stack st;
	usernet_config cfg = { .ctl_path = "x", .max_flows = 64 };
	if (un_stack_init(&st, &cfg, NULL) < 0)
		fuzz_usernet_die("init");
	st.fuzz = 1;
	for (unsigned i = 0; i < 2; i++) {
		un_tap *t = &st.taps[i];
		t->used = true;
		t->fd = -1;
		uint8_t v4[4] = { 10, 0, 2, (uint8_t)(100 + i) };
		un_addr_v4(&t->ip4, v4);
		un_addr_parse(i ? "fd00::101" : "fd00::100", &t->ip6);
		t->has_ip6 = true;
		memcpy(t->mac, "\x02\x50\x0a\x00\x02", 5);
		t->mac[5] = (uint8_t)(100 + i);
		snprintf(t->names[0], 64, "c%u", i);
		t->n_names = 1;
	}
	st.n_attached = 2;
	static uint8_t frame[UN_FRAME_MAX];
	size_t off = 0;
	while (off + 3 <= size) {
		size_t len = (size_t)(data[off] << 8 | data[off + 1]);
		unsigned tap = data[off + 2] & 1;
		off += 3;
		if (len > size - off)
			len = size - off;
		/* a copy: the stack may write into the frame (switching) */
		memcpy(frame, data + off, len);
		un_tap_input(&st, tap, frame, len);
		off += len;
		un_tcp_flush_acks(&st);
	}
	un_tcp_timers(&st, un_now_ms() + 100000);
	unsigned used = 0, tcp = 0;
	for (unsigned i = 0; i < st.max_flows; i++) {
		used += st.flows[i].proto != 0;
		tcp += st.flows[i].proto == UN_P_TCP;
	}
	if (used != st.n_flows || tcp != st.n_tcp)
		fuzz_usernet_die("flow counts out of step");
	un_stack_free(&st);
	return 0;
}
