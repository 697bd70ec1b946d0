class ProcessedData(Schema):
    """One row per customer: the model's features and the churn label."""

    senior_citizen: Series[int] = pa.Field(isin=[0, 1])
    tenure_months: Series[int] = pa.Field(ge=0, le=120)
    monthly_charges: Series[float] = pa.Field(ge=0)
    total_charges: Series[float] = pa.Field(ge=0)
    support_calls: Series[int] = pa.Field(ge=0)
    gender: Series[str] = pa.Field(isin=CATEGORIES["gender"])
    contract: Series[str] = pa.Field(isin=CATEGORIES["contract"])
    internet_service: Series[str] = pa.Field(isin=CATEGORIES["internet_service"])
    payment_method: Series[str] = pa.Field(isin=CATEGORIES["payment_method"])
    churned: Series[int] = pa.Field(isin=CLASSES)


class RawData(ProcessedData):
    """The raw extract: the processed columns plus a unique customer id."""

    customer_id: Series[str] = pa.Field(unique=True, str_matches=r"^C\d+$")
