// libFuzzer harness: mmssr_jpeg_decode (the C image shim) at a 4-megapixel cap.
#include <stddef.h>
#include <stdint.h>
#include "CImage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mmssr_image img;
    mmssr_jpeg_decode(data, size, 4000000, &img);
    mmssr_image_free(&img);
    return 0;
}
