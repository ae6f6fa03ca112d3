"""Turning rendered pages into Qdrant points: chunking, embeddings, sparse vectors, search."""
