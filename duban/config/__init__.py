"""Load and validate the admin's TOML config.

Every error names the file, the key path and, where the TOML text allows, the line, so an admin
can fix it without reading Python tracebacks.

    schema.py  the pydantic models (every default, the escalation ladder's included)
    load.py    finding, reading and validating the file; line-numbered ConfigErrors
"""

from duban.config.dingtalk import DingTalkConfig
from duban.config.load import (
    CONFIG_ENV,
    DEFAULT_CONFIG_NAME,
    ConfigError,
    example_config_path,
    load_config,
    parse_config,
)
from duban.config.schema import (
    CalendarConfig,
    Config,
    DesignationConfig,
    DigestConfig,
    EscalationConfig,
    FigureRuleConfig,
    FiguresConfig,
    GeneralConfig,
    GroupConfig,
    ImporterConfig,
    LeaderConfig,
    LightsConfig,
    OfficeConfig,
    ReportingConfig,
    ScheduleConfig,
    ScheduleRule,
    TelegramConfig,
    UnitConfig,
    WebhookConfig,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "CalendarConfig",
    "Config",
    "ConfigError",
    "DesignationConfig",
    "DigestConfig",
    "DingTalkConfig",
    "EscalationConfig",
    "FigureRuleConfig",
    "FiguresConfig",
    "GeneralConfig",
    "GroupConfig",
    "ImporterConfig",
    "LeaderConfig",
    "LightsConfig",
    "OfficeConfig",
    "ReportingConfig",
    "ScheduleConfig",
    "ScheduleRule",
    "TelegramConfig",
    "UnitConfig",
    "WebhookConfig",
    "example_config_path",
    "load_config",
    "parse_config",
]
