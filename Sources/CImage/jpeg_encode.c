#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

#include "CImage.h"

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf escape;
} encode_errors;

static void on_encode_error(j_common_ptr cinfo) {
    longjmp(((encode_errors *)cinfo->err)->escape, 1);
}

int mmssr_jpeg_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, int quality,
                          uint8_t **out, size_t *out_size) {
    struct jpeg_compress_struct cinfo;
    encode_errors errors;
    // libjpeg owns and may realloc this buffer; volatile because it is read after a longjmp.
    unsigned char *volatile buffer = NULL;
    unsigned long length = 0;

    cinfo.err = jpeg_std_error(&errors.pub);
    errors.pub.error_exit = on_encode_error;
    if (setjmp(errors.escape)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, &length);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = length;
    return 0;
}
