#ifndef MMSSR_IMAGE_RESULT_H
#define MMSSR_IMAGE_RESULT_H

// Internal helpers shared by the decoders (not part of the public header).
#include <stdint.h>
#include "CImage.h"

/// Records a failure: status, formatted one-line message, and releases any pixels.
void mmssr_image_fail(mmssr_image *img, mmssr_image_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/// Checks the declared size against the cap and allocates the RGB8 output. Returns 0 on failure
/// (already recorded in `img`), so the cap is enforced before any pixel memory exists.
int mmssr_image_admit(mmssr_image *img, uint64_t width, uint64_t height, uint64_t max_pixels);

#endif
