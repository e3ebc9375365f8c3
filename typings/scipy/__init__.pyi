# Minimal stubs: only what cje_fp uses (scipy ships no type information).
