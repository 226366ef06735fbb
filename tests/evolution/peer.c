/*
 * peer.c: one program of the evolution tests, built once per version of
 * the same description (tests/evolution/vN/evo.idl, EVO_VERSION = N).
 *
 *   evo_peer_vN serve NAME          serves evo.Store as NAME until SIGTERM;
 *                                   prints "ready" once it listens; exits 1
 *                                   if a request did not look as it must
 *   evo_peer_vN call NAME SERVER    connects to NAME, whose version the
 *                                   handshake must say is SERVER, and checks
 *                                   call by call what a client of version N
 *                                   must see of it; exits 1 on any failure
 *
 * run_evolution.sh runs every client against every server. Between
 * versions 1 and 2 each kind of change (a parameter added to a request, a
 * reply and an event; a method added, one removed and reserved; a member
 * added to a flexible enum and bits, a variant to a flexible union) must
 * work both ways; version 3 no longer talks to 1 and 2, which each side
 * must learn when it connects. A malformed frame still closes the channel;
 * a method the server does not know does not.
 */
#include "evo.h"
#include "idl/linux.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(bool ok, const char *what)
{
	printf("evo_peer_v%d: %s: %s\n", EVO_VERSION, what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

/* ---- the server ---- */

#define SLOTS 8

static struct {
	char name[65];
	uint64_t value;
	bool used;
} slots[SLOTS];

/* Requests name their sender's version: "from-vN". */
static int version_of(const idl_string *name)
{
	if (name->size == 7 && strncmp(name->data, "from-v", 6) == 0)
		return name->data[6] - '0';
	return 0;
}

static int serve_put(idl_request *r, const evo_store_put_request *req, evo_store_put_reply *reply,
                     evo_status *error)
{
	(void)r;
	int client = version_of(&req->name);
	/* What a server of each version sees of each client's request. */
	if (client > EVO_VERSION)
		check(IDL_HAS_UNKNOWN_FIELDS(req), "a newer client's put: fields I do not know");
	else
		check(!IDL_HAS_UNKNOWN_FIELDS(req), "put: no fields I do not know");
#if EVO_VERSION >= 2
	if (client == 1) {
		check(!IDL_HAS_FIELD(req, priority) && !IDL_HAS_FIELD(req, tag),
		      "a version 1 client's put: priority and tag absent");
		check(req->priority == 4 && req->mode2 == EVO_MODE_SAFE,
		      "a version 1 client's put: priority and mode2 at their declared defaults");
		check(req->tag.size == 0 && req->tag.data != NULL && req->tag.data[0] == 0,
		      "a version 1 client's put: tag empty");
	} else {
		check(IDL_HAS_FIELD(req, priority) && req->priority == 9 && req->tag.size == 1 &&
		          strcmp(req->tag.data, "t") == 0 && req->mode2 == EVO_MODE_FAST,
		      "put: priority, tag and mode2 as sent");
	}
#endif
	check(req->mode == EVO_MODE_FAST, "put: the version 1 field mode as sent");
	uint32_t free_slot = SLOTS;
	for (uint32_t i = 0; i < SLOTS; i++) {
		if (slots[i].used && strcmp(slots[i].name, req->name.data) == 0) {
			slots[i].value = req->value;
			reply->slot = i;
#if EVO_VERSION >= 2
			reply->replaced = true;
#endif
			return IDL_OK;
		}
		if (!slots[i].used && free_slot == SLOTS)
			free_slot = i;
	}
	if (free_slot == SLOTS) {
		*error = EVO_STATUS_FULL;
		return IDL_E_REMOTE;
	}
	memcpy(slots[free_slot].name, req->name.data, req->name.size + 1);
	slots[free_slot].value = req->value;
	slots[free_slot].used = true;
	reply->slot = free_slot;
	return IDL_OK;
}

static int serve_get(idl_request *r, const evo_store_get_request *req, evo_store_get_reply *reply,
                     evo_status *error)
{
	(void)r;
#if EVO_VERSION >= 2
	/* A reason version 1 does not know. */
	if (req->slot == 998) {
		*error = EVO_STATUS_READ_ONLY;
		return IDL_E_REMOTE;
	}
	static const uint32_t tags[] = {11, 12};
	reply->tags.count = 2;
	reply->tags.items = tags;
#endif
	if (req->slot >= SLOTS || !slots[req->slot].used) {
		*error = EVO_STATUS_NOT_FOUND;
		return IDL_E_REMOTE;
	}
	reply->name = (idl_string){.size = (uint32_t)strlen(slots[req->slot].name),
	                           .data = slots[req->slot].name};
	reply->value = slots[req->slot].value;
	return IDL_OK;
}

/* Sends back what it received; a version 2 server turns a version 1
 * client's values into ones version 1 does not know. */
static int serve_paint(idl_request *r, const evo_store_paint_request *req,
                       evo_store_paint_reply *reply)
{
	(void)r;
	reply->color = req->color;
	reply->perm = req->perm;
	reply->mark = req->mark;
#if EVO_VERSION >= 2
	if (req->color == EVO_COLOR_GREEN) {
		reply->color = EVO_COLOR_BLUE;
		reply->perm = req->perm | EVO_PERM_EXEC;
		memset(&reply->mark, 0, sizeof(reply->mark));
		reply->mark.tag = EVO_MARK_TICK;
		reply->mark.tick = 7;
	}
#endif
	return IDL_OK;
}

#if EVO_VERSION == 1
static int serve_legacy(idl_request *r, const evo_store_legacy_request *req,
                        evo_store_legacy_reply *reply)
{
	(void)r;
	reply->y = req->x + 1;
	return IDL_OK;
}
#else
static int serve_count(idl_request *r, const evo_store_count_request *req,
                       evo_store_count_reply *reply)
{
	(void)r, (void)req;
	reply->slots = 0;
	for (uint32_t i = 0; i < SLOTS; i++)
		reply->slots += slots[i].used;
	return IDL_OK;
}
#endif

/* Answers with events: a version 2 server sends one version 1 does not know too. */
static int serve_watch(idl_request *r, const evo_store_watch_request *req)
{
	if (!req->on)
		return IDL_OK;
	evo_store_changed_event changed;
	memset(&changed, 0, sizeof(changed));
	changed.slot = 5;
#if EVO_VERSION >= 2
	changed.by = IDL_STRING_LITERAL("srv");
	evo_store_renamed_event renamed;
	memset(&renamed, 0, sizeof(renamed));
	renamed.slot = 6;
	check(evo_store_send_renamed(r->ep, &renamed) == IDL_OK, "sending renamed");
#endif
	check(evo_store_send_changed(r->ep, &changed) == IDL_OK, "sending changed");
	return IDL_OK;
}

static const evo_store_handlers handlers = {
    .put = serve_put,
    .get = serve_get,
    .paint = serve_paint,
#if EVO_VERSION == 1
    .legacy = serve_legacy,
#else
    .count = serve_count,
#endif
    .watch = serve_watch,
};

static int serve(const char *name)
{
	idl_linux_server ls;
	if (idl_linux_server_open(&ls, name, 8) != IDL_OK) {
		fprintf(stderr, "evo_peer_v%d: cannot listen as %s\n", EVO_VERSION, name);
		return 2;
	}
	idl_server_add_interface(&ls.server, &evo_store_interface, &handlers, NULL);
	idl_linux_server_stop_on_signals(&ls);
	printf("ready\n");
	fflush(stdout);
	int err = idl_linux_server_run(&ls);
	idl_linux_server_close(&ls);
	if (err != IDL_OK)
		return 2;
	return failures ? 1 : 0;
}

/* ---- the client ---- */

static uint32_t server_version;

static struct {
	unsigned changed, unknown;
	uint32_t slot;
	bool by_present;
	bool unknown_fields;
} events;

static void on_changed(void *ctx, const evo_store_changed_event *event)
{
	(void)ctx;
	events.changed++;
	events.slot = event->slot;
	events.unknown_fields = IDL_HAS_UNKNOWN_FIELDS(event);
#if EVO_VERSION >= 2
	events.by_present = IDL_HAS_FIELD(event, by);
	if (!events.by_present)
		check(event->by.size == 0 && event->by.data[0] == 0,
		      "a version 1 server's changed: by empty");
	else
		check(strcmp(event->by.data, "srv") == 0, "changed: by as sent");
#endif
}

#if EVO_VERSION >= 2
static void on_renamed(void *ctx, const evo_store_renamed_event *event)
{
	(void)ctx;
	check(event->slot == 6, "renamed arrived");
}
#endif

static const evo_store_event_handlers event_handlers = {
    .changed = on_changed,
#if EVO_VERSION >= 2
    .renamed = on_renamed,
#endif
};

static void on_event(void *ctx, void *frame, size_t size, size_t frame_max,
                     const idl_typed_handle *handles, uint32_t count)
{
	(void)ctx;
	int err =
	    evo_store_event_dispatch(&event_handlers, NULL, frame, size, frame_max, handles, count);
	if (err == IDL_E_NOT_SUPPORTED)
		events.unknown++; /* a newer server's event: dropped */
	else
		check(err == IDL_OK, "an event decodes");
}

static void call_put(idl_endpoint *ep, bool again)
{
	evo_store_put_request req;
	memset(&req, 0, sizeof(req));
	char name[8];
	snprintf(name, sizeof(name), "from-v%d", EVO_VERSION);
	req.name = (idl_string){.size = 7, .data = name};
	req.value = 7;
	req.mode = EVO_MODE_FAST;
#if EVO_VERSION >= 2
	req.priority = 9;
	req.tag = IDL_STRING_LITERAL("t");
	req.mode2 = EVO_MODE_FAST;
#endif
	evo_store_put_reply_buffer buf;
	const evo_store_put_reply *reply;
	evo_status error;
	check(evo_store_put(ep, &req, &buf, &reply, &error) == IDL_OK, "put");
	check(reply->slot == 0, "put: slot 0");
	check(IDL_HAS_UNKNOWN_FIELDS(reply) == (server_version > EVO_VERSION),
	      "put: a newer server's reply has fields I do not know, no other");
#if EVO_VERSION >= 2
	if (server_version == 1)
		check(!IDL_HAS_FIELD(reply, replaced) && !reply->replaced,
		      "a version 1 server's put reply: replaced absent, false");
	else
		check(IDL_HAS_FIELD(reply, replaced) && reply->replaced == again, "put: replaced");
#else
	(void)again;
#endif
}

static void call_get(idl_endpoint *ep)
{
	evo_store_get_request req = {.slot = 0};
	evo_store_get_reply_buffer buf;
	const evo_store_get_reply *reply;
	evo_status error;
	check(evo_store_get(ep, &req, &buf, &reply, &error) == IDL_OK, "get");
	check(reply->value == 7 && reply->name.size == 7, "get: the value put");
#if EVO_VERSION >= 2
	if (server_version == 1)
		check(!IDL_HAS_FIELD(reply, tags) && reply->tags.count == 0 && reply->tags.items,
		      "a version 1 server's get reply: tags absent, empty");
	else
		check(reply->tags.count == 2 && reply->tags.items[1] == 12, "get: tags");
#endif
	req.slot = 7;
	check(evo_store_get(ep, &req, &buf, &reply, &error) == IDL_E_REMOTE &&
	          error == EVO_STATUS_NOT_FOUND,
	      "get of an empty slot: NOT_FOUND");
	if (server_version >= 2) {
		req.slot = 998;
		error = 0;
		check(evo_store_get(ep, &req, &buf, &reply, &error) == IDL_E_REMOTE && error == 3,
		      "an error value of a newer version reaches the client");
		check(EVO_VERSION >= 2 || !evo_status_is_valid(error), "... as an unknown value");
	}
}

static void call_paint(idl_endpoint *ep)
{
	evo_store_paint_request req;
	memset(&req, 0, sizeof(req));
#if EVO_VERSION >= 2
	/* Values version 1 does not know: a version 1 server keeps them. */
	req.color = EVO_COLOR_BLUE;
	req.perm = EVO_PERM_READ | EVO_PERM_EXEC;
	req.mark.tag = EVO_MARK_TICK;
	req.mark.tick = 7;
#else
	req.color = EVO_COLOR_GREEN;
	req.perm = EVO_PERM_READ;
	req.mark.tag = EVO_MARK_DOT;
	req.mark.dot = 5;
#endif
	evo_store_paint_reply_buffer buf;
	const evo_store_paint_reply *reply;
	check(evo_store_paint(ep, &req, &buf, &reply) == IDL_OK, "paint");
	bool turned = server_version >= 2; /* a newer color, bit and variant come back */
	check(reply->color == (turned ? 3 : req.color), "paint: color");
	check(reply->perm == (turned ? req.perm | 0x4 : req.perm), "paint: perm");
	check(reply->mark.tag == (turned ? 3 : req.mark.tag), "paint: mark");
	if (turned)
		check(EVO_VERSION >= 2 || (!evo_color_is_valid(reply->color) &&
		                           (reply->perm & ~EVO_PERM_MASK) != 0),
		      "paint: a newer server's color and bit are unknown here, and kept");
#if EVO_VERSION >= 2
	check(reply->mark.tick == 7, "paint: the tick's payload");
#else
	if (turned) {
		uint16_t tick;
		memcpy(&tick, (const uint8_t *)&reply->mark + 12, sizeof(tick));
		check(tick == 7, "paint: a newer variant's payload, kept unread");
	} else {
		check(reply->mark.dot == 5, "paint: the dot");
	}
#endif
}

/* A method only one side knows: "not supported", and the channel lives on. */
static void call_other_methods(idl_endpoint *ep)
{
#if EVO_VERSION == 1
	evo_store_legacy_request req = {.x = 41};
	evo_store_legacy_reply_buffer buf;
	const evo_store_legacy_reply *reply;
	int err = evo_store_legacy(ep, &req, &buf, &reply);
	if (server_version == 1)
		check(err == IDL_OK && reply->y == 42, "legacy");
	else
		check(err == IDL_E_NOT_SUPPORTED,
		      "legacy, which the server removed: not supported");
#else
	evo_store_count_request req;
	memset(&req, 0, sizeof(req));
	evo_store_count_reply_buffer buf;
	const evo_store_count_reply *reply;
	int err = evo_store_count(ep, &req, &buf, &reply);
	if (server_version == 1)
		check(err == IDL_E_NOT_SUPPORTED, "count, which the server lacks: not supported");
	else
		check(err == IDL_OK && reply->slots == 1, "count");
#endif
	call_get(ep); /* the channel is still open */
}

static void call_events(idl_endpoint *ep)
{
	evo_store_watch_request w = {.on = true};
	check(evo_store_watch(ep, &w) == IDL_OK, "watch");
	call_get(ep); /* the events come before its reply */
	check(events.changed == 1 && events.slot == 5, "changed arrived");
	check(events.unknown_fields == (server_version > EVO_VERSION),
	      "changed: fields I do not know only from a newer server");
	check(events.unknown == (server_version > EVO_VERSION ? 1u : 0u),
	      "an event only a newer server knows: dropped");
}

/* Sends one raw frame of `bytes` (header, then zeros) and says whether the
 * server still serves the channel afterwards. */
static bool raw_then_served(const char *name, const idl_frame_header *h, size_t bytes)
{
	idl_linux_conn c;
	if (idl_linux_connect_interface(&c, name, &evo_store_interface, 5000) != IDL_OK)
		return false;
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	ep->timeout_ns = 5000000000u;
	void *frame;
	if (ep->ops->send_begin(ep, bytes, &frame) == IDL_OK) {
		memset(frame, 0, bytes);
		memcpy(frame, h, sizeof(*h));
		ep->ops->send_commit(ep, bytes, NULL, 0);
	}
	/* A two-way raw request gets an answer first, unless the channel closed. */
	if (h->txid != 0) {
		_Alignas(8) uint8_t reply[64];
		size_t size;
		idl_typed_handle handles[1];
		uint32_t count = 1;
		if (ep->ops->receive(ep, h->txid, reply, sizeof(reply), &size, handles, &count) ==
		    IDL_OK)
			check(idl_not_supported_or(reply, size, h->ordinal, count, IDL_E_FLAGS) ==
			          IDL_E_NOT_SUPPORTED,
			      "an unknown ordinal's answer: a well-formed \"not supported\"");
	}
	evo_store_get_request req = {.slot = 0};
	evo_store_get_reply_buffer buf;
	const evo_store_get_reply *reply;
	evo_status error;
	int err = evo_store_get(ep, &req, &buf, &reply, &error);
	idl_linux_conn_close(&c);
	return err == IDL_OK;
}

/* Never confused: an ordinal the server does not know keeps the channel,
 * a frame that breaks the wire format closes it. */
static void call_raw(const char *name)
{
	idl_frame_header h = {.size = 32,
	                      .ordinal = 0x1234567,
	                      .txid = 77,
	                      .flags = IDL_FLAG_REQUEST,
	                      .inline_size = 32};
	check(raw_then_served(name, &h, 32), "an unknown method, two-way: the channel stays open");
	h.txid = 0;
	check(raw_then_served(name, &h, 32), "an unknown method, one-way: the channel stays open");
	h.txid = 77;
	h.flags = IDL_FLAG_REQUEST | 0x40;
	check(!raw_then_served(name, &h, 32), "an unknown method with bad flags: closed");
	h.flags = IDL_FLAG_REQUEST;
	h.inline_size = 40;
	check(!raw_then_served(name, &h, 32), "an unknown method past its frame: closed");
	h.ordinal = EVO_STORE_GET_ORDINAL;
	h.inline_size = 28;
	check(!raw_then_served(name, &h, 32), "get with an unaligned inline size: closed");
	h.inline_size = 24; /* get's slot missing: no version of get is that short */
	check(!raw_then_served(name, &h, 32), "get of no version: closed");
}

static int call(const char *name, uint32_t expected_version)
{
	idl_linux_conn c;
	int err = idl_linux_connect_interface(&c, name, &evo_store_interface, 5000);
	char text[256];
	idl_linux_version_text(&c, &evo_store_interface, text, sizeof(text));
	printf("evo_peer_v%d: connect: %s (%s)\n", EVO_VERSION, idl_error_name(err), text);
	check(c.peer_version == expected_version, "the handshake says the server's version");
	bool talk = idl_versions_talk(EVO_STORE_VERSION, EVO_STORE_OLDEST_VERSION, expected_version,
	                              expected_version == 3 ? 3 : 1);
	if (!talk) {
		check(err == IDL_E_VERSION, "versions that cannot talk: refused at connect");
		return failures ? 1 : 0;
	}
	check(err == IDL_OK, "connect");
	if (err != IDL_OK)
		return 1;
	server_version = c.peer_version;
	idl_chan_end_set_events(&c.end, on_event, NULL);
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	ep->timeout_ns = 5000000000u;
	call_put(ep, false);
	call_put(ep, true);
	call_get(ep);
	call_paint(ep);
	call_other_methods(ep);
	call_events(ep);
	idl_linux_conn_close(&c);
	call_raw(name);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2]);
	if (argc == 4 && strcmp(argv[1], "call") == 0)
		return call(argv[2], (uint32_t)strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: %s serve NAME | call NAME SERVER_VERSION\n", argv[0]);
	return 2;
}
