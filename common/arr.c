/* arr.c -- growing an array by doubling. */
#include "arr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int arr_reserve(void *pp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -1;
        n *= 2;
    }
    if (size == 0 || n > SIZE_MAX / size)
        return -1;
    void *old;
    memcpy(&old, pp, sizeof old); /* pp points to a T *, read as void * */
    void *p = realloc(old, n * size);
    if (!p)
        return -1;
    memcpy(pp, &p, sizeof p);
    *cap = n;
    return 0;
}
