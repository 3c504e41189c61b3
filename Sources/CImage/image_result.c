#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "CImage.h"
#include "image_result.h"

void mmssr_image_free(mmssr_image *img) {
    free(img->pixels);
    img->pixels = NULL;
}

void mmssr_image_fail(mmssr_image *img, mmssr_image_status status, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(img->message, sizeof img->message, fmt, args);
    va_end(args);
    img->status = status;
    free(img->pixels);
    img->pixels = NULL;
}

int mmssr_image_admit(mmssr_image *img, uint64_t width, uint64_t height, uint64_t max_pixels) {
    img->width = (uint32_t)width;
    img->height = (uint32_t)height;
    if (width == 0 || height == 0) {
        mmssr_image_fail(img, MMSSR_IMAGE_CORRUPT, "image has zero size (%llux%llu)",
                         (unsigned long long)width, (unsigned long long)height);
        return 0;
    }
    if (width * height > max_pixels) {
        mmssr_image_fail(img, MMSSR_IMAGE_TOO_LARGE, "image is %llux%llu, over the %llu-pixel limit",
                         (unsigned long long)width, (unsigned long long)height,
                         (unsigned long long)max_pixels);
        return 0;
    }
    img->pixels = malloc((size_t)(width * height * 3));
    if (!img->pixels) {
        mmssr_image_fail(img, MMSSR_IMAGE_NO_MEMORY, "out of memory for a %llux%llu image",
                         (unsigned long long)width, (unsigned long long)height);
        return 0;
    }
    return 1;
}
