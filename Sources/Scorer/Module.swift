// Scorer module
