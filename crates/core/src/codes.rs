//! Coded values: a closed set of stored codes declared once ([`code_enum!`]), with their string
//! forms (also the suffix of their catalogue key) and their description in the API document.

/// Declares a closed set of stored codes with their string forms; each form is also the suffix of
/// a message-catalogue key (`<prefix>.<form>`).
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
            /// The position in `ALL`, for tables indexed by this code.
            pub fn index(self) -> usize {
                self as usize
            }
        }

        /// A stored code read back (`#[sqlx(try_from = "String")]` on a row's field): a code
        /// the build does not know is an error, never a quiet default.
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("unknown {} code {s:?}", stringify!($name)))
            }
        }

        /// In the API document: a string, one of the codes.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::codes::codes_schema([$($s),+]).into()
            }
        }

        /// Named `…Code` in the document, apart from any type of the same name.
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(concat!(stringify!($name), "Code"))
            }
        }
    };
}

pub(crate) use code_enum;

/// A string that is one of `codes`, as the API document describes a coded field.
pub fn codes_schema(codes: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(codes))
        .build()
}

/// [`codes_schema`] where `""` also stands for "none" (or "not given").
pub fn codes_or_blank(codes: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::schema::Object {
    codes_schema(codes.into_iter().chain([""]))
}
