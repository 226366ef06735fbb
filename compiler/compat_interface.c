/*
 * compat_interface.c: an interface against its old version: its versions,
 * its methods (matched by ordinal, which is what the wire carries; a new
 * name for the same ordinal is a rename), and each method's messages.
 *
 * A message's parameters are matched by name and position. Every version
 * of a message is a prefix of the later ones, so the old version's
 * parameters must all stay where they were, with their types and the
 * version that added them; new ones go after them, each with @added(N)
 * above the old interface version, where a new group starts on 8 bytes.
 */
#include "compat.h"

#include <string.h>

typedef struct message_pair {
	const decl *was_iface, *now_iface;
	const method *was_method, *now_method;
	const decl *was, *now; /* the message */
	const char *what;      /* "request of 'put'" */
} message_pair;

static member *param_named(member *list, const char *name)
{
	for (member *m = list; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static unsigned position(const member *list, const member *m)
{
	unsigned i = 1;
	for (; list != NULL && list != m; list = list->next)
		i++;
	return i;
}

static member *at_position(member *list, unsigned i)
{
	for (unsigned j = 1; list != NULL && j < i; j++)
		list = list->next;
	return list;
}

/* The inline part (header included) that the new version of a message
 * writes for interface version `version`: that of its latest group not
 * above it. */
static uint32_t inline_for(const decl *msg, uint32_t version)
{
	uint32_t size = msg->shape.size;
	for (uint32_t i = 0; i < msg->version_count; i++)
		if (msg->versions[i] <= version)
			size = msg->version_inline[i];
	return size;
}

static bool same_default(const member *o, const member *n)
{
	if ((o->fallback == NULL) != (n->fallback == NULL))
		return false;
	if (o->fallback_enum != NULL || n->fallback_enum != NULL)
		/* By value, which is what a receiver fills in: a member renamed
		 * with its value kept is the same default. */
		return o->fallback_enum != NULL && n->fallback_enum != NULL &&
		       o->fallback_enum->value->value == n->fallback_enum->value->value;
	return o->fallback == NULL || o->fallback_value == n->fallback_value;
}

/* A parameter found in both versions, by name or as a rename. */
static void compare_param(compat *k, const message_pair *p, const member *o, const member *n)
{
	const char *what = arena_printf(k->a, "parameter '%s'", o->name);
	if (strcmp(o->name, n->name) != 0)
		compat_report(k, COMPAT_API, "compat-param-renamed", n->loc, o->loc, what,
		              "parameter '%s' of the %s was renamed to '%s'", o->name, p->what,
		              n->name);
	else if (position(p->now->members, n) != position(p->was->members, o))
		compat_report(k, COMPAT_WIRE, "compat-param-moved", n->loc, o->loc, what,
		              "parameter '%s' of the %s moved from position %u to %u", n->name,
		              p->what, position(p->was->members, o), position(p->now->members, n));
	if (o->added != n->added)
		compat_report(k, COMPAT_WIRE, "compat-param-version-changed",
		              n->added_loc.file != 0 ? n->added_loc : n->loc, o->loc, what,
		              "parameter '%s' of the %s is now added in version %u, was %u: that "
		              "moves it to another version's part of the message",
		              n->name, p->what, n->added, o->added);
	compat_type(k, o->type, n->type, n->type->loc, o->type->loc,
	            arena_printf(k->a, "parameter '%s'", n->name));
	if (!same_default(o, n))
		compat_report(k, COMPAT_API, "compat-default-changed",
		              n->fallback != NULL ? n->fallback->loc : n->loc, o->loc, what,
		              "the default of parameter '%s' changed: old and new receivers "
		              "see different values when an earlier sender leaves it out",
		              n->name);
}

/* A parameter only the new version has: it must belong to a version the
 * old peers do not know, or they would read the wrong bytes. */
static void new_param(compat *k, const message_pair *p, const member *n)
{
	uint32_t old_version = p->was_iface->version;
	if (n->added > old_version)
		return;
	compat_report(k, COMPAT_WIRE, "compat-param-not-added", n->loc, p->was->loc,
	              arena_printf(k->a, "%s", p->what),
	              "parameter '%s' is new in the %s, but %s version %u, which old "
	              "peers already speak: mark it @added(%u) after the old parameters",
	              n->name, p->what, n->added == 1 ? "belongs to" : "is @added in", n->added,
	              old_version + 1);
}

static void compare_message(compat *k, const message_pair *p)
{
	unsigned errors = compat_errors(k);
	member *was = p->was->members, *now = p->now->members;
	for (member *o = was; o != NULL; o = o->next) {
		member *n = param_named(now, o->name);
		if (n != NULL) {
			compare_param(k, p, o, n);
			continue;
		}
		member *place = at_position(now, position(was, o));
		if (place != NULL && param_named(was, place->name) == NULL) {
			compare_param(k, p, o, place);
			continue;
		}
		compat_report(k, COMPAT_WIRE, "compat-param-removed", p->now_method->loc, o->loc,
		              arena_printf(k->a, "parameter '%s'", o->name),
		              "parameter '%s' was removed from the %s", o->name, p->what);
	}
	for (member *n = now; n != NULL; n = n->next) {
		if (param_named(was, n->name) != NULL)
			continue;
		member *place = at_position(was, position(now, n));
		if (place != NULL && param_named(now, place->name) == NULL)
			continue; /* a rename, compared above */
		new_param(k, p, n);
	}
	/* Old peers size their channel and buffers by the old frame limit. */
	if (p->now->max_frame_bytes > p->was_iface->max_frame_bytes)
		compat_report(
		    k, COMPAT_WIRE, "compat-frame-limit", p->now_method->loc, p->was_iface->loc,
		    arena_printf(k->a, "interface '%s'", p->was_iface->name),
		    "the %s now takes up to %llu bytes, more than the %llu bytes old peers "
		    "make room for (@max_frame)",
		    p->what, (unsigned long long)p->now->max_frame_bytes,
		    (unsigned long long)p->was_iface->max_frame_bytes);
	if (compat_errors(k) != errors)
		return;
	/* What the rules above cannot see: padding, or the size of a named
	 * type that changed elsewhere. */
	uint32_t old_inline = p->was->shape.size;
	uint32_t new_inline = inline_for(p->now, p->was_iface->version);
	if (old_inline != new_inline)
		compat_report(k, COMPAT_WIRE, "compat-inline-changed", p->now_method->loc,
		              p->was->loc, p->what,
		              "the %s of version %u is now %u bytes inline, was %u", p->what,
		              p->was_iface->version, new_inline, old_inline);
}

static const char *method_kind_text(const method *m)
{
	static const char *const kinds[] = {"two-way", "one-way", "event"};
	return kinds[m->kind];
}

static void compare_method(compat *k, const decl *was_iface, const decl *now_iface, const method *o,
                           const method *n)
{
	const char *what = arena_printf(k->a, "method '%s'", o->name);
	if (strcmp(o->name, n->name) != 0)
		compat_report(k, COMPAT_API, "compat-method-renamed", n->loc, o->loc, what,
		              "method '%s' was renamed to '%s' (ordinal %u kept)", o->name, n->name,
		              n->ordinal);
	else if (o->ordinal != n->ordinal)
		compat_report(k, COMPAT_WIRE, "compat-ordinal-changed", n->ordinal_loc,
		              o->ordinal_loc, what,
		              "the ordinal of method '%s' changed from %u to %u: old peers call "
		              "it by the old one",
		              n->name, o->ordinal, n->ordinal);
	/* The wire is the same, but the version a client checks before it
	 * calls is not: an earlier one sends it to servers that answer 'not
	 * supported', a later one keeps it from servers that have it. */
	if (o->added != n->added)
		compat_report(k, COMPAT_API, "compat-method-version-changed", n->loc, o->loc, what,
		              "method '%s' is now added in version %u, was %u: clients that check "
		              "the server's version first decide by the wrong one",
		              n->name, n->added, o->added);
	if (o->kind != n->kind || o->has_reply != n->has_reply) {
		compat_report(k, COMPAT_WIRE, "compat-method-kind-changed", n->loc, o->loc, what,
		              "method '%s' changed from %s to %s", n->name, method_kind_text(o),
		              method_kind_text(n));
		return;
	}
	if ((o->error == NULL) != (n->error == NULL))
		compat_report(k, COMPAT_WIRE, "compat-method-error-changed", n->loc, o->loc, what,
		              "method '%s' %s an error type", n->name,
		              n->error != NULL ? "gained" : "lost");
	else if (o->error != NULL)
		compat_type(k, o->error, n->error, n->error->loc, o->error->loc,
		            arena_printf(k->a, "error of '%s'", n->name));
	message_pair p = {
	    .was_iface = was_iface, .now_iface = now_iface, .was_method = o, .now_method = n};
	p.was = o->request;
	p.now = n->request;
	p.what = arena_printf(k->a, "%s of '%s'", n->kind == METHOD_EVENT ? "event" : "request",
	                      n->name);
	if (p.was != NULL && p.now != NULL)
		compare_message(k, &p);
	p.was = o->reply;
	p.now = n->reply;
	p.what = arena_printf(k->a, "reply of '%s'", n->name);
	if (p.was != NULL && p.now != NULL)
		compare_message(k, &p);
}

static method *method_by_ordinal(method *list, uint32_t ordinal)
{
	for (method *m = list; m != NULL; m = m->next)
		if (m->ordinal == ordinal)
			return m;
	return NULL;
}

static method *method_by_name(method *list, const char *name)
{
	for (method *m = list; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* Where an attribute of the new interface is written, or the interface. */
static loc attr_loc(const decl *d, const char *name)
{
	attribute *a = ast_find_attr(d->attrs, name);
	return a != NULL ? a->loc : d->loc;
}

static void compare_versions(compat *k, const decl *was, const decl *now)
{
	const char *what = arena_printf(k->a, "interface '%s'", was->name);
	if (now->version < was->version)
		compat_report(k, COMPAT_WIRE, "compat-version-lowered", attr_loc(now, "version"),
		              was->loc, what,
		              "the version of '%s' was lowered from %u to %u: old peers speak "
		              "versions it no longer knows",
		              now->name, was->version, now->version);
	/* Versions the old one refused may differ from it in any way (that
	 * is why it refused them), and this check has not seen them. */
	if (now->oldest < was->oldest)
		compat_report(k, COMPAT_WIRE, "compat-oldest-lowered", attr_loc(now, "oldest"),
		              was->loc, what,
		              "'%s' talks to versions %u and later again (@oldest lowered from %u "
		              "to %u), which the old version refused: nothing checks it against "
		              "them",
		              now->name, now->oldest, was->oldest, now->oldest);
	if (now->oldest > was->version)
		compat_report(k, COMPAT_WIRE, "compat-oldest-excludes-old", attr_loc(now, "oldest"),
		              was->loc, what,
		              "'%s' now talks to versions %u and later (@oldest), so it refuses "
		              "peers of the old version %u at connect time",
		              now->name, now->oldest, was->version);
	else if (now->oldest > was->oldest)
		compat_report(
		    k, COMPAT_API, "compat-oldest-raised", attr_loc(now, "oldest"), was->loc, what,
		    "'%s' no longer talks to %s, which the old version accepted "
		    "(@oldest raised from %u to %u)",
		    now->name,
		    now->oldest - 1 == was->oldest
		        ? arena_printf(k->a, "version %u", was->oldest)
		        : arena_printf(k->a, "versions %u to %u", was->oldest, now->oldest - 1),
		    was->oldest, now->oldest);
}

/* The new server sizes its channels by its own @max_frame, and an old
 * client reserves room for its request's old maximum (a request holding a
 * flexible union takes the whole old limit): a lower limit refuses it
 * before it is sent, a method the server removed included. */
static void old_request_limit(compat *k, const decl *now, const method *o)
{
	if (o->kind == METHOD_EVENT || o->request == NULL ||
	    o->request->max_frame_bytes <= now->max_frame_bytes)
		return;
	compat_report(k, COMPAT_WIRE, "compat-frame-limit", attr_loc(now, "max_frame"), o->loc,
	              arena_printf(k->a, "method '%s'", o->name),
	              "old clients send the request of '%s' in frames of up to %llu bytes, more "
	              "than the %llu bytes the new version's channels take (@max_frame)",
	              o->name, (unsigned long long)o->request->max_frame_bytes,
	              (unsigned long long)now->max_frame_bytes);
}

void compat_interface(compat *k, const decl *was, const decl *now)
{
	compare_versions(k, was, now);
	for (method *o = was->methods; o != NULL; o = o->next)
		old_request_limit(k, now, o);
	for (method *o = was->methods; o != NULL; o = o->next) {
		/* By name, even with another ordinal: the method moved (even when
		 * another one took its old ordinal, as in a swap, which old peers
		 * would call by the old one). Else by ordinal: a rename. */
		method *n = method_by_name(now->methods, o->name);
		if (n == NULL)
			n = method_by_ordinal(now->methods, o->ordinal);
		bool removed = compat_reserves_name(now, o->name);
		if (n != NULL && strcmp(n->name, o->name) != 0 &&
		    (removed || n->added > was->version)) {
			/* Not a rename: the new version says the old method was
			 * removed, or that this one is new. */
			compat_report(
			    k, COMPAT_WIRE, "compat-number-reused", n->loc, o->loc,
			    arena_printf(k->a, "method '%s'", o->name),
			    "method '%s' takes ordinal %u of '%s', %s: old clients calling '%s' "
			    "reach '%s'",
			    n->name, n->ordinal, o->name,
			    removed
			        ? arena_printf(k->a,
			                       "which the new version removed ('reserved %s;')",
			                       o->name)
			        : arena_printf(k->a, "yet is @added(%u), after the old version %u",
			                       n->added, was->version),
			    o->name, n->name);
			continue;
		}
		if (n != NULL) {
			compare_method(k, was, now, o, n);
			continue;
		}
		/* Gone: old clients get 'not supported', which is the point of a
		 * removal only when a `reserved` line keeps the ordinal from
		 * being given to another method. */
		if (compat_reserves_name(now, o->name) || compat_reserves_value(now, o->ordinal))
			continue;
		compat_report(
		    k, COMPAT_WIRE, "compat-method-removed", now->loc, o->loc,
		    arena_printf(k->a, "method '%s'", o->name),
		    "method '%s' was removed (or renamed, which derives another ordinal unless "
		    "@ordinal keeps it) without 'reserved %s;': its ordinal %u could be given "
		    "to another method that old peers would take for it",
		    o->name, o->name, o->ordinal);
	}
	for (method *n = now->methods; n != NULL; n = n->next) {
		if (method_by_ordinal(was->methods, n->ordinal) != NULL ||
		    method_by_name(was->methods, n->name) != NULL)
			continue;
		/* An old server's channels take frames of its own limit: a larger
		 * request fails before it is sent, instead of 'not supported'. */
		if (n->kind != METHOD_EVENT && n->request != NULL &&
		    n->request->max_frame_bytes > was->max_frame_bytes)
			compat_report(
			    k, COMPAT_WIRE, "compat-frame-limit", n->loc, was->loc,
			    arena_printf(k->a, "interface '%s'", was->name),
			    "the request of the new method '%s' takes up to %llu bytes, more than "
			    "the %llu bytes old servers' channels take (@max_frame): old servers "
			    "cannot answer it 'not supported'",
			    n->name, (unsigned long long)n->request->max_frame_bytes,
			    (unsigned long long)was->max_frame_bytes);
		if (n->added > was->version)
			continue;
		compat_report(k, COMPAT_API, "compat-method-not-added", n->loc, was->loc,
		              arena_printf(k->a, "interface '%s'", was->name),
		              "method '%s' is new but has no @added(%u): callers cannot tell from "
		              "the peer's version whether it is there",
		              n->name, was->version + 1);
	}
}
