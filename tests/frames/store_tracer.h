/*
 * store_tracer.h: watches every store a piece of code makes into one
 * buffer, one instruction at a time.
 *
 * The buffer is write-protected. A store into it faults; the handler lets
 * that one instruction run with the trap flag set, and when it has run,
 * calls the observer with the buffer as the store left it, then protects
 * the buffer again. So the observer sees every intermediate state a peer
 * reading the buffer at the wrong moment could see: what a test of "the
 * encoder never writes a caller's pointer into the ring, not even for a
 * moment" needs, where the finished frame alone cannot tell.
 *
 * x86-64 Linux only (the trap flag); store_tracer_available() says so.
 */
#ifndef STORE_TRACER_H
#define STORE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called after each instruction that stored into the buffer; it runs in a
 * signal handler, so it may only look at memory and set flags. */
typedef void store_observer(const uint8_t *buf, size_t bytes, void *ctx);

bool store_tracer_available(void);

/* A page-aligned buffer of at least `bytes`, for store_trace. */
uint8_t *store_tracer_buffer(size_t bytes);
void store_tracer_free(uint8_t *buf, size_t bytes);

/* Runs run(ctx) with buf (from store_tracer_buffer) watched; returns how
 * many instructions stored into it. */
long store_trace(uint8_t *buf, size_t bytes, void (*run)(void *ctx), store_observer *observe,
                 void *ctx);

#endif
