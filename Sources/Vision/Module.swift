// Vision module
