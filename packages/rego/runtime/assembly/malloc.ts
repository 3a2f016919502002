// A bump allocator over the imported memory. The loader reclaims everything an evaluation
// allocated by moving the heap pointer back (`opa_heap_ptr_set`), so individual frees buy
// nothing on the hot path; `opa_free` is therefore a no-op.

import { fail } from './env';

const PAGE_SIZE: usize = 65536;
const ALIGN_MASK: usize = 7;

// Starts at the end of static data; every allocation is 8-byte aligned so i64/f64 fields
// in value structs are naturally aligned.
let heapTop: usize = (__heap_base + ALIGN_MASK) & ~ALIGN_MASK;

function ensureCapacity(end: usize): void {
  const available = <usize>memory.size() * PAGE_SIZE;
  if (end <= available) return;
  // Grow at least geometrically so that a large input costs O(log n) grow calls.
  const needed = <i32>((end - available + PAGE_SIZE - 1) / PAGE_SIZE);
  const current = memory.size();
  const pages = needed > current ? needed : current;
  if (memory.grow(pages) < 0 && memory.grow(needed) < 0) fail('opa_malloc: out of memory');
}

export function alloc(size: usize): usize {
  const ptr = heapTop;
  const end = (ptr + size + ALIGN_MASK) & ~ALIGN_MASK;
  ensureCapacity(end);
  heapTop = end;
  return ptr;
}

/** Allocates zeroed memory; struct constructors rely on fields starting at zero. */
export function allocZeroed(size: usize): usize {
  const ptr = alloc(size);
  memory.fill(ptr, 0, size);
  return ptr;
}

/**
 * Resizes a block. The newest block grows in place, which makes growing the last-allocated
 * buffer (JSON output, a container being filled) amortised O(1) without a copy.
 */
export function realloc(ptr: usize, oldSize: usize, newSize: usize): usize {
  if (ptr != 0 && ((ptr + oldSize + ALIGN_MASK) & ~ALIGN_MASK) == heapTop) {
    const end = (ptr + newSize + ALIGN_MASK) & ~ALIGN_MASK;
    if (newSize > oldSize) ensureCapacity(end);
    heapTop = end;
    return ptr;
  }
  const next = alloc(newSize);
  if (ptr != 0) memory.copy(next, ptr, oldSize < newSize ? oldSize : newSize);
  return next;
}

export function opa_malloc(size: usize): usize {
  return alloc(size);
}

/** A no-op: memory is reclaimed wholesale by `opa_heap_ptr_set`. */
export function opa_free(ptr: usize): void {}

export function opa_heap_ptr_get(): usize {
  return heapTop;
}

export function opa_heap_ptr_set(ptr: usize): void {
  heapTop = (ptr + ALIGN_MASK) & ~ALIGN_MASK;
}
