from django.db import connection
from ninja import NinjaAPI, Schema

import zhengwu
from zhengwu.api.catalog import router as catalog_router

api = NinjaAPI(title="政务服务平台 API", version=zhengwu.__version__, urls_namespace="api")
api.add_router("/catalog", catalog_router)


class HealthOut(Schema):
    status: str
    version: str
    database: str


@api.get("/health", response=HealthOut, tags=["system"], summary="健康检查")
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "version": zhengwu.__version__, "database": connection.vendor}
