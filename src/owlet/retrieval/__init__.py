"""Retrieval: embedders, chunking and vector stores for RAG."""
