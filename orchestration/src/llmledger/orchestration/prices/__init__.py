"""The effective-dated price catalogue: generated from the installed genai-prices package,
corrected by the curated seed (`dbt_project/seeds/model_prices.csv`) and the user's
overrides file, read by the warehouse's `stg_prices__*` dbt Python models at build time.

Usage
-----
    from llmledger.orchestration.prices.refresh import refresh_prices, validate_price_overrides

    validate_price_overrides(path)         # before dbt: PriceOverridesError names file:line
    summary = refresh_prices(home, path)   # regenerate; writes home/prices/price_catalogue.csv
"""
