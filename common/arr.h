/* arr.h -- growing an array by doubling, written once for every list that grows. */
#ifndef OUTREACH_ARR_H
#define OUTREACH_ARR_H

#include <stddef.h>

/* Makes room for at least need elements of size bytes in the array that
 * *(void **)pp points to, whose capacity is *cap elements: when need > *cap
 * it reallocates to the next doubling (at least 8) and updates *cap. Returns
 * 0, or -1 when out of memory or the size overflows; the array and *cap are
 * then unchanged (still owned by the caller). */
int arr_reserve(void *pp, size_t *cap, size_t need, size_t size);

/* ARR_RESERVE(v, cap, need): arr_reserve for a typed pointer v. */
#define ARR_RESERVE(v, cap, need) arr_reserve(&(v), &(cap), (need), sizeof *(v))

#endif
