package dev.bollard.http.api;

import java.util.List;

/**
 * A group of management API routes, one class per area (accounts, repositories, audit, …). Adding endpoints is
 * writing one such class and listing it in {@link ManagementApi#standardEndpoints}; docs/api.md explains it.
 */
public interface ApiEndpoints {
    List<ApiRoute> routes();
}
