"""Models: custom model records, and the merged model list clients pick from."""
