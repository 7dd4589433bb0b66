"""Chat completions: the pipeline from an OpenAI-shaped request to a provider and back."""
