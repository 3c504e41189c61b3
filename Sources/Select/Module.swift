// Select module
