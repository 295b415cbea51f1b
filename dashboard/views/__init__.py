"""The dashboard's pages, one module each; each page is a function of a ``PageContext``."""
