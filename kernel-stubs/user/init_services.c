/*
 * init_services.c: init's directory, sys.Services. Every program init
 * starts gets a session of it as its handle 0. A server publishes itself
 * with the client end of its listener channel (sys.Listener); a program
 * that looks a name up gets a new channel to that server, which the
 * directory asks the listener for. The directory is the listener's only
 * client, so a server knows a session request comes from init.
 *
 * A server that dies leaves its listener closed (the kernel marks the
 * channel); the directory then forgets the name, and the server's next
 * instance publishes it again (init_system.c restarts servers).
 */
#include "init.h"
#include "kserve.h"

#define SERVICES         16
#define LISTENER_WAIT_NS 2000000000ull /* a server that does not answer in 2 s fails a lookup */

static struct service {
	_Atomic bool used; /* read by directory_wait on the boot thread */
	char name[SYS_MAX_SERVICE_NAME + 1];
	uint32_t publisher; /* the session that published it */
	kchan listener;
} services[SERVICES];

static kserver directory;
static _Atomic uint32_t publications; /* a futex word: bumped by every publish */

static struct service *find(const idl_string *name)
{
	for (int i = 0; i < SERVICES; i++)
		if (services[i].used && strlen(services[i].name) == name->size &&
		    memcmp(services[i].name, name->data, name->size) == 0)
			return &services[i];
	return NULL;
}

static void forget(struct service *s)
{
	kchan_close(&s->listener);
	s->used = false;
}

/* What a lookup of a missing name answers: WOULD_BLOCK while init is
 * starting the server that publishes it (the client asks again), NOT_FOUND
 * when no server will. */
static int missing(const char *name, sys_errno *error)
{
	*error = system_is_starting(name) ? SYS_ERRNO_WOULD_BLOCK : SYS_ERRNO_NOT_FOUND;
	return IDL_E_REMOTE;
}

static int on_lookup(idl_request *r, const sys_services_lookup_request *req,
                     sys_services_lookup_reply *reply, sys_errno *error)
{
	char name[SYS_MAX_SERVICE_NAME + 1];
	memcpy(name, req->name.data, req->name.size); /* the decoder checked the bound */
	name[req->name.size] = 0;
	if (!system_may_look_up(name, r->session->id)) {
		*error = SYS_ERRNO_ACCESS;
		return IDL_E_REMOTE;
	}
	/* Its process is not known yet (spawn has not returned to init): a
	 * session opened now would be nobody's, outside every client's share.
	 * kserve_connect asks again. */
	if (r->session->client == 0) {
		*error = SYS_ERRNO_WOULD_BLOCK;
		return IDL_E_REMOTE;
	}
	struct service *s = find(&req->name);
	if (!s)
		return missing(name, error);
	idl_endpoint *ep = idl_chan_end_endpoint(&s->listener.end);
	sys_listener_open_session_request open = {.client = r->session->client};
	sys_listener_open_session_reply_buffer rb;
	const sys_listener_open_session_reply *opened;
	int err = sys_listener_open_session(ep, &open, &rb, &opened, error);
	if (err == IDL_E_REMOTE)
		return err; /* the server's own answer: TOO_MANY, say */
	if (err == IDL_E_TIMEOUT) {
		*error = SYS_ERRNO_TIMED_OUT;
		return IDL_E_REMOTE;
	}
	if (err != IDL_OK) {
		printf("init: the server of \"%s\" is gone (%s)\n", s->name, idl_error_name(err));
		forget(s);
		return missing(name, error);
	}
	reply->channel = opened->channel; /* moves on to the client */
	return IDL_OK;
}

/* Tells every session that name is published; a session whose ring is full
 * misses it (events are hints). */
static void announce(const idl_string *name)
{
	sys_services_published_event e = {.name = *name};
	for (uint32_t i = 0; i < directory.server.capacity; i++)
		if (directory.slots[i])
			sys_services_send_published(idl_chan_end_endpoint(directory.slots[i]), &e);
}

static int on_publish(idl_request *r, const sys_services_publish_request *req,
                      sys_services_publish_reply *reply, sys_errno *error)
{
	(void)reply;
	if (req->name.size == 0) {
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	char name[SYS_MAX_SERVICE_NAME + 1];
	memcpy(name, req->name.data, req->name.size); /* the decoder checked the bound */
	name[req->name.size] = 0;
	if (!system_may_publish(name, r->session->id)) {
		*error = SYS_ERRNO_ACCESS;
		return IDL_E_REMOTE;
	}
	struct service *s = find(&req->name);
	if (s && !kchan_peer_closed(&s->listener)) {
		*error = SYS_ERRNO_EXISTS;
		return IDL_E_REMOTE;
	}
	if (s)
		forget(s); /* its server died; a new one takes the name */
	for (int i = 0; i < SERVICES && !s; i++)
		if (!services[i].used)
			s = &services[i];
	if (!s) {
		*error = SYS_ERRNO_TOO_MANY;
		return IDL_E_REMOTE;
	}
	/* The runtime closes a request's handles after the handler: keep a copy.
	 * One scratch buffer serves every listener: calls on them are one at a
	 * time, on this thread. */
	static _Alignas(8) uint8_t scratch[SYS_LISTENER_MAX_FRAME_BYTES];
	long kept = idlk_handle_dup((int)req->listener);
	int err = kept < 0 ? IDL_E_TRANSPORT
	                   : kchan_open(&s->listener, (int)kept, SYS_LISTENER_PROTOCOL, scratch,
	                                sizeof(scratch));
	if (err != IDL_OK) {
		if (kept >= 0)
			idlk_handle_close((int)kept);
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	idl_chan_end_endpoint(&s->listener.end)->timeout_ns = LISTENER_WAIT_NS;
	s->publisher = r->session->id;
	memcpy(s->name, req->name.data, req->name.size);
	s->name[req->name.size] = 0;
	atomic_store(&s->used, true);
	directory_poke();
	printf("init: \"%s\" published\n", s->name);
	announce(&req->name);
	return IDL_OK;
}

static int on_withdraw(idl_request *r, const sys_services_withdraw_request *req,
                       sys_services_withdraw_reply *reply, sys_errno *error)
{
	(void)reply;
	struct service *s = find(&req->name);
	if (!s) {
		*error = SYS_ERRNO_NOT_FOUND;
		return IDL_E_REMOTE;
	}
	if (s->publisher != r->session->id) {
		*error = SYS_ERRNO_ACCESS;
		return IDL_E_REMOTE;
	}
	forget(s);
	return IDL_OK;
}

static const sys_services_handlers handlers = {
    .lookup = on_lookup,
    .publish = on_publish,
    .withdraw = on_withdraw,
};

static int on_restart(idl_request *r, const sys_supervisor_restart_request *req,
                      sys_supervisor_restart_reply *reply, sys_errno *error)
{
	(void)reply;
	if (!system_is_shell(r->session->id)) {
		*error = SYS_ERRNO_ACCESS;
		return IDL_E_REMOTE;
	}
	if (!system_restart(req->name.data)) {
		*error = SYS_ERRNO_NOT_FOUND;
		return IDL_E_REMOTE;
	}
	return IDL_OK;
}

static const sys_supervisor_handlers supervisor_handlers = {.restart = on_restart};

int directory_start(void)
{
	int err = kserve_init(&directory, KSERVE_MAX_SESSIONS);
	if (err == IDL_OK)
		err = kserve_add_interface(&directory, &sys_services_interface, &handlers, NULL);
	if (err == IDL_OK)
		err = kserve_add_interface(&directory, &sys_supervisor_interface,
		                           &supervisor_handlers, NULL);
	return err;
}

int directory_session(int *client_end, uint32_t *slot)
{
	return kserve_add_session(&directory, 0, client_end, slot);
}

void directory_set_client(uint32_t slot, int process)
{
	struct idlk_handle_info info;
	if (idlk_handle_info(process, &info) == IDLK_HANDLE_PROC)
		kserve_set_client(&directory, slot, info.object);
}

/* Whether name is published (any thread: names are written before `used`). */
static bool published(const char *name)
{
	for (int i = 0; i < SERVICES; i++)
		if (atomic_load(&services[i].used) && strcmp(services[i].name, name) == 0)
			return true;
	return false;
}

void directory_poke(void)
{
	atomic_fetch_add(&publications, 1);
	idlk_futex_wake((volatile uint32_t *)&publications, UINT32_MAX);
}

bool directory_wait(const char *name, uint64_t timeout_ns, _Atomic bool *give_up)
{
	uint64_t deadline = (uint64_t)idlk_clock() + timeout_ns;
	for (;;) {
		uint32_t seen = atomic_load(&publications);
		if (published(name))
			return true;
		if (give_up && atomic_load(give_up))
			return false;
		uint64_t now = (uint64_t)idlk_clock();
		if (now >= deadline)
			return false;
		idlk_futex_wait((volatile uint32_t *)&publications, seen, deadline - now);
	}
}

void directory_run(void)
{
	kserve_run(&directory);
}
