// Guanxi page behaviour (CSP-safe: no inline scripts, no eval).
