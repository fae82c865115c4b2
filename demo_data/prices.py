"""The demo rows of InfraZen's global price catalogue (provider_prices has no tenant column).

Demo price rows carry DEMO_PRICE_NOTE in `notes`, are created once and then reused, so
recommended_price_id values stay stable. The Yandex rows are invented in the documented shapes.
"""

from __future__ import annotations

DEMO_PRICE_NOTE = "infrazen demo seed"

# provider  resource_type  sku  region  cpu  ram_gb  storage_gb  storage_type  monthly  source
PRICE_CATALOGUE = """
selectel server v4-r8-d100-network_ssd:ru-6a ru-6a 4 8 100 network_ssd 5349.44 selectel_vpc_grid
selectel server v4-r8-d120-hdd:ru-6a ru-6a 4 8 120 hdd 9800.00 selectel_vpc_grid
selectel server v1-r4-d50-network_ssd:ru-7 ru-7 1 4 50 network_ssd 1469.50 selectel_vpc_grid
selectel server v2-r4-d40-network_ssd:ru-7 ru-7 2 4 40 network_ssd 2480.00 selectel_vpc_grid
selectel server v3-r16-d100-network_ssd:ru-7 ru-7 3 16 100 network_ssd 7100.00 selectel_vpc_grid
selectel server v8-r32-d200-network_ssd:ru-7 ru-7 8 32 200 network_ssd 14900.00 selectel_vpc_grid
selectel server v16-r32-d200-network_ssd:ru-9 ru-9 16 32 200 network_ssd 15600.00 selectel_vpc_grid
selectel postgresql-cluster pg-standard-2c-4g-40d:ru-7 ru-7 2 4 40 network_ssd 2400.00 billing_api
selectel postgresql-cluster pg-standard-2c-8g-40d:ru-7 ru-7 2 8 40 network_ssd 3200.00 billing_api
selectel postgresql-cluster pg-standard-4c-16g-80d:ru-7 ru-7 4 16 80 network_ssd 6400.00 billing_api
selectel mysql-cluster mysql-standard-2c-4g-40d:ru-7 ru-7 2 4 40 network_ssd 2450.00 billing_api
beget server ru2-normal_cpu-2cpu-4gb-50gb global 2 4 50 SSD 3285.00 official_price_list
beget server ru2-normal_cpu-4cpu-8gb-100gb global 4 8 100 SSD 6570.00 official_price_list
beget server ru2-normal_cpu-8cpu-16gb-200gb global 8 16 200 SSD 13140.00 official_price_list
beget mysql-cluster mysql5_v1_80 global 2 4 80 SSD 2400.00 official_price_list
beget postgresql-cluster postgres16_v1_80 global 2 8 80 SSD 3600.00 official_price_list
yandex server standard-v3-c2-m4:ru-central1 ru-central1 2 4 50 network_ssd 2650.00 billing_api
yandex server standard-v3-c3-m8:ru-central1 ru-central1 3 8 100 network_ssd 4160.30 billing_api
yandex server standard-v3-c4-m8:ru-central1 ru-central1 4 8 100 network_ssd 5480.00 billing_api
"""
