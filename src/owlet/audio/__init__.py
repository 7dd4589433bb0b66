"""Audio (text-to-speech, speech-to-text): only the admin settings so far; owlet has no engine."""
