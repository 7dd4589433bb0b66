"""Retrieval settings owlet stores but does not act on: other content extraction engines,
rerankers, cloud drives and web search, under Open WebUI 0.12.4's wire and config names.

`/api/v1/retrieval/config` answers them beside the settings owlet runs (retrieval/router.py)
and saves them when sent; the export carries them. Switches that would turn on something
owlet does not do start off; every other value is Open WebUI's first value.
"""

from __future__ import annotations

from owlet.config.features import Row, Text, row

Count = int | None
Texts = list[Text] | None

RETRIEVAL: list[Row] = [
    row("BYPASS_EMBEDDING_AND_RETRIEVAL", "rag.bypass_embedding_and_retrieval", False),
    row("RAG_FULL_CONTEXT", "rag.full_context", False),
    row("ENABLE_RAG_HYBRID_SEARCH_ENRICHED_TEXTS", "rag.enable_hybrid_search_enriched_texts",
        False),
    row("TOP_K_RERANKER", "rag.top_k_reranker", 3),
    row("CONTENT_EXTRACTION_ENGINE", "rag.content_extraction_engine", ""),
    row("CONTENT_EXTRACTION_SUPPORTED_MEDIA_MIME_TYPES",
        "rag.content_extraction.supported_media_mime_types", None, Texts),
    row("PDF_EXTRACT_IMAGES", "rag.pdf_extract_images", False),
    row("PDF_LOADER_MODE", "rag.pdf_loader_mode", "page"),
    row("DATALAB_MARKER_API_KEY", "rag.datalab_marker_api_key", ""),
    row("DATALAB_MARKER_API_BASE_URL", "rag.datalab_marker_api_base_url", ""),
    row("DATALAB_MARKER_ADDITIONAL_CONFIG", "rag.datalab_marker_additional_config", ""),
    row("DATALAB_MARKER_SKIP_CACHE", "rag.datalab_marker_skip_cache", False),
    row("DATALAB_MARKER_FORCE_OCR", "rag.datalab_marker_force_ocr", False),
    row("DATALAB_MARKER_PAGINATE", "rag.datalab_marker_paginate", False),
    row("DATALAB_MARKER_STRIP_EXISTING_OCR", "rag.datalab_marker_strip_existing_ocr", False),
    row("DATALAB_MARKER_DISABLE_IMAGE_EXTRACTION",
        "rag.datalab_marker_disable_image_extraction", False),
    row("DATALAB_MARKER_FORMAT_LINES", "rag.datalab_marker_format_lines", False),
    row("DATALAB_MARKER_USE_LLM", "rag.datalab_marker_use_llm", False),
    row("DATALAB_MARKER_OUTPUT_FORMAT", "rag.datalab_marker_output_format", "markdown"),
    row("EXTERNAL_DOCUMENT_LOADER_URL", "rag.external_document_loader_url", ""),
    row("EXTERNAL_DOCUMENT_LOADER_API_KEY", "rag.external_document_loader_api_key", ""),
    row("EXTERNAL_DOCUMENT_LOADER_HEADERS", "rag.external_document_loader_headers", {}),
    row("TIKA_SERVER_URL", "rag.tika_server_url", "http://tika:9998"),
    row("TIKA_SERVER_VERSION", "rag.tika_server_version", "3"),
    row("DOCLING_SERVER_URL", "rag.docling_server_url", "http://docling:5001"),
    row("DOCLING_API_KEY", "rag.docling_api_key", ""),
    row("DOCLING_PARAMS", "rag.docling_params", {}),
    row("DOCUMENT_INTELLIGENCE_ENDPOINT", "rag.document_intelligence_endpoint", ""),
    row("DOCUMENT_INTELLIGENCE_KEY", "rag.document_intelligence_key", ""),
    row("DOCUMENT_INTELLIGENCE_MODEL", "rag.document_intelligence_model", "prebuilt-layout"),
    row("MISTRAL_OCR_API_BASE_URL", "rag.mistral_ocr_api_base_url", "https://api.mistral.ai/v1"),
    row("MISTRAL_OCR_API_KEY", "rag.mistral_ocr_api_key", ""),
    row("MISTRAL_OCR_USE_BASE64", "rag.mistral_ocr_use_base64", False),
    row("PADDLEOCR_VL_BASE_URL", "rag.paddleocr_vl_base_url", "http://localhost:8080"),
    row("PADDLEOCR_VL_TOKEN", "rag.paddleocr_vl_token", ""),
    row("MINERU_API_MODE", "rag.mineru_api_mode", "local"),
    row("MINERU_API_URL", "rag.mineru_api_url", "http://localhost:8000"),
    row("MINERU_API_KEY", "rag.mineru_api_key", ""),
    row("MINERU_API_TIMEOUT", "rag.mineru_api_timeout", "300"),
    row("MINERU_PARAMS", "rag.mineru_params", {}),
    row("MINERU_FILE_EXTENSIONS", "rag.mineru_file_extensions", ["pdf"]),
    row("RAG_RERANKING_MODEL", "rag.reranking_model", ""),
    row("RAG_RERANKING_ENGINE", "rag.reranking_engine", ""),
    row("RAG_RERANKING_BATCH_SIZE", "rag.reranking_batch_size", 32),
    row("RAG_EXTERNAL_RERANKER_URL", "rag.external_reranker_url", ""),
    row("RAG_EXTERNAL_RERANKER_API_KEY", "rag.external_reranker_api_key", ""),
    row("RAG_EXTERNAL_RERANKER_TIMEOUT", "rag.external_reranker_timeout", ""),
    row("TEXT_SPLITTER", "rag.text_splitter", ""),
    row("RAG_TOKENIZER_MODEL", "rag.tokenizer_model", ""),
    row("ENABLE_MARKDOWN_HEADER_TEXT_SPLITTER", "rag.enable_markdown_header_text_splitter", True),
    row("CHUNK_MIN_SIZE_TARGET", "rag.chunk_min_size_target", 0),
    row("FILE_MAX_COUNT", "rag.file.max_count", None, Count),
    row("FILE_IMAGE_COMPRESSION_WIDTH", "file.image_compression_width", None, Count),
    row("FILE_IMAGE_COMPRESSION_HEIGHT", "file.image_compression_height", None, Count),
    row("ENABLE_GOOGLE_DRIVE_INTEGRATION", "google_drive.enable", False),
    row("ENABLE_ONEDRIVE_INTEGRATION", "onedrive.enable", False),
]  # fmt: skip

EMBEDDING: list[Row] = [
    row("ENABLE_ASYNC_EMBEDDING", "rag.enable_async_embedding", True),
    row("RAG_EMBEDDING_CONCURRENT_REQUESTS", "rag.embedding_concurrent_requests", 0),
]

# `azure_openai_config` of /retrieval/embedding: {url, key, version}
AZURE_EMBEDDING = {
    "url": "rag.azure_openai.base_url",
    "key": "rag.azure_openai.api_key",
    "version": "rag.azure_openai.api_version",
}


def _search(wire: str, name: str, first: object = "") -> Row:
    return row(wire, f"web.search.{name}", first)


def _loader(wire: str, name: str, first: object = "") -> Row:
    return row(wire, f"web.loader.{name}", first)


# The `web` object of /retrieval/config.
WEB: list[Row] = [
    _search("ENABLE_WEB_SEARCH", "enable", False),
    _search("ENABLE_WEB_SEARCH_CONFIRMATION", "confirmation.enable", False),
    _search("WEB_SEARCH_CONFIRMATION_CONTENT", "confirmation.content"),
    _search("WEB_SEARCH_ENGINE", "engine"),
    _search("WEB_SEARCH_TRUST_ENV", "trust_env", True),
    _search("WEB_SEARCH_RESULT_COUNT", "result_count", 3),
    _search("WEB_SEARCH_CONCURRENT_REQUESTS", "concurrent_requests", 0),
    row("WEB_FETCH_MAX_CONTENT_LENGTH", "web.fetch.max_content_length", None, Count),
    _loader("WEB_LOADER_CONCURRENT_REQUESTS", "concurrent_requests", 10),
    row("WEB_SEARCH_DOMAIN_FILTER_LIST", "web.search.domain.filter_list", [], list[Text]),
    _search("BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL", "bypass_embedding_and_retrieval", False),
    _search("BYPASS_WEB_SEARCH_WEB_LOADER", "bypass_web_loader", False),
    _search("OLLAMA_CLOUD_WEB_SEARCH_API_KEY", "ollama_cloud_api_key"),
    _search("SEARXNG_QUERY_URL", "searxng_query_url"),
    _search("SEARXNG_LANGUAGE", "searxng_language", "all"),
    _search("OPENSERP_BASE_URL", "openserp_base_url", "http://localhost:7000"),
    _search("YACY_QUERY_URL", "yacy_query_url"),
    _search("YACY_USERNAME", "yacy_username"),
    _search("YACY_PASSWORD", "yacy_password"),
    _search("GOOGLE_PSE_API_KEY", "google_pse_api_key"),
    _search("GOOGLE_PSE_ENGINE_ID", "google_pse_engine_id"),
    _search("BRAVE_SEARCH_API_KEY", "brave_search_api_key"),
    _search("BRAVE_SEARCH_CONTEXT_TOKENS", "brave_search_context_tokens", 8192),
    _search("KAGI_SEARCH_API_KEY", "kagi_search_api_key"),
    _search("MOJEEK_SEARCH_API_KEY", "mojeek_search_api_key"),
    _search("BOCHA_SEARCH_API_KEY", "bocha_search_api_key"),
    _search("SERPSTACK_API_KEY", "serpstack_api_key"),
    _search("SERPSTACK_HTTPS", "serpstack_https", True),
    _search("SERPER_API_KEY", "serper_api_key"),
    _search("SERPHOUSE_API_KEY", "serphouse_api_key"),
    _search("SERPHOUSE_DOMAIN", "serphouse_domain", "google.com"),
    _search("SERPLY_API_KEY", "serply_api_key"),
    _search("DDGS_BACKEND", "ddgs_backend", "auto"),
    _search("TAVILY_API_KEY", "tavily_api_key"),
    _search("STAAN_API_KEY", "staan_api_key"),
    _search("STAAN_MARKET", "staan_market", "en-us"),
    _search("STAAN_MAX_SNIPPETS", "staan_max_snippets", 0),
    _search("SEARCHAPI_API_KEY", "searchapi_api_key"),
    _search("SEARCHAPI_ENGINE", "searchapi_engine"),
    _search("SERPAPI_API_KEY", "serpapi_api_key"),
    _search("SERPAPI_ENGINE", "serpapi_engine"),
    _search("JINA_API_KEY", "jina_api_key"),
    _search("JINA_API_BASE_URL", "jina_api_base_url"),
    _search("BING_SEARCH_V7_ENDPOINT", "bing_search_v7_endpoint",
            "https://api.bing.microsoft.com/v7.0/search"),
    _search("BING_SEARCH_V7_SUBSCRIPTION_KEY", "bing_search_v7_subscription_key"),
    _search("EXA_API_KEY", "exa_api_key"),
    row("EXA_MAX_CONTENT_LENGTH", "web.search.exa_max_content_length", None, Count),
    _search("PERPLEXITY_API_KEY", "perplexity_api_key"),
    _search("PERPLEXITY_MODEL", "perplexity_model", "sonar"),
    _search("PERPLEXITY_SEARCH_CONTEXT_USAGE", "perplexity_search_context_usage", "medium"),
    _search("PERPLEXITY_SEARCH_API_URL", "perplexity_search_api_url",
            "https://api.perplexity.ai/search"),
    _search("MICROSOFT_WEB_IQ_API_BASE_URL", "microsoft_web_iq_api_base_url",
            "https://api.microsoft.ai/v3"),
    _search("MICROSOFT_WEB_IQ_API_KEY", "microsoft_web_iq_api_key"),
    _search("MICROSOFT_WEB_IQ_LANGUAGE", "microsoft_web_iq_language", "en"),
    _search("SOUGOU_API_SID", "sougou_api_sid"),
    _search("SOUGOU_API_SK", "sougou_api_sk"),
    _loader("WEB_LOADER_ENGINE", "engine"),
    _loader("WEB_LOADER_TIMEOUT", "timeout"),
    _loader("ENABLE_WEB_LOADER_SSL_VERIFICATION", "ssl_verification", True),
    _loader("PLAYWRIGHT_WS_URL", "playwright_ws_url"),
    _loader("PLAYWRIGHT_TIMEOUT", "playwright_timeout", 10000),
    _loader("FIRECRAWL_API_KEY", "firecrawl_api_key"),
    _loader("FIRECRAWL_API_BASE_URL", "firecrawl_api_url", "https://api.firecrawl.dev"),
    _loader("FIRECRAWL_TIMEOUT", "firecrawl_timeout"),
    _search("TAVILY_EXTRACT_DEPTH", "tavily_extract_depth", "basic"),
    _search("TAVILY_SEARCH_DEPTH", "tavily_search_depth", "basic"),
    _search("EXTERNAL_WEB_SEARCH_URL", "external_web_search_url"),
    _search("EXTERNAL_WEB_SEARCH_API_KEY", "external_web_search_api_key"),
    _loader("EXTERNAL_WEB_LOADER_URL", "external_web_loader_url"),
    _loader("EXTERNAL_WEB_LOADER_API_KEY", "external_web_loader_api_key"),
    row("YOUTUBE_LOADER_LANGUAGE", "rag.youtube_loader_language", ["en"], list[Text]),
    row("YOUTUBE_LOADER_PROXY_URL", "rag.youtube_loader_proxy_url", ""),
    # not a persisted setting in Open WebUI (so not in its export), only shown here
    row("YOUTUBE_LOADER_TRANSLATION", "rag.youtube_loader_translation", None, Text | None),
    _search("YANDEX_WEB_SEARCH_URL", "yandex_web_search_url"),
    _search("YANDEX_WEB_SEARCH_API_KEY", "yandex_web_search_api_key"),
    _search("YANDEX_WEB_SEARCH_CONFIG", "yandex_web_search_config"),
    _search("YOUCOM_API_KEY", "youcom_api_key"),
    _search("LINKUP_API_KEY", "linkup_api_key"),
    _search("LINKUP_SEARCH_PARAMS", "linkup_search_params", {}),
]  # fmt: skip

SECTIONS = (RETRIEVAL, EMBEDDING, WEB)
NOT_EXPORTED = frozenset({"rag.youtube_loader_translation"})
