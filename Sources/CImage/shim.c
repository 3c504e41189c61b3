void mmssr_cimage_placeholder(void) {}
