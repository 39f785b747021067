/*
 * A test fake of the SAP NetWeaver RFC SDK's C API: the subset rfmgw's nwrfc
 * backend uses, declared from SAP's public API documentation (same names,
 * argument order and semantics; SAP_UC is UTF-16). This is NOT SAP's header
 * and contains none of it; it exists so the backend can be built and tested
 * without the SDK, which may not be redistributed.
 *
 * The library behind it (tests/nwrfc_fake/fake.c) answers with abapsim's
 * simulated function modules in memory; see docs/backends.md for where it
 * cannot know the real SDK's behaviour.
 */
#ifndef RFMGW_FAKE_SAPNWRFC_H
#define RFMGW_FAKE_SAPNWRFC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SAP_API
#define DECL_EXP __attribute__((visibility("default")))

typedef uint16_t SAP_UC; /* UTF-16 code unit */
typedef unsigned char SAP_RAW;
typedef SAP_RAW RFC_BYTE;
typedef SAP_UC RFC_CHAR;
typedef RFC_CHAR RFC_NUM;
typedef SAP_RAW RFC_INT1;
typedef short RFC_INT2;
typedef int RFC_INT;
typedef long long RFC_INT8;
typedef double RFC_FLOAT;
typedef RFC_CHAR RFC_DATE[8];
typedef RFC_CHAR RFC_TIME[6];
typedef RFC_CHAR RFC_ABAP_NAME[30 + 1];
typedef RFC_CHAR RFC_PARAMETER_DEFVALUE[30 + 1];
typedef RFC_CHAR RFC_PARAMETER_TEXT[79 + 1];

typedef enum {
    RFCTYPE_CHAR = 0,
    RFCTYPE_DATE = 1,
    RFCTYPE_BCD = 2,
    RFCTYPE_TIME = 3,
    RFCTYPE_BYTE = 4,
    RFCTYPE_TABLE = 5,
    RFCTYPE_NUM = 6,
    RFCTYPE_FLOAT = 7,
    RFCTYPE_INT = 8,
    RFCTYPE_INT2 = 9,
    RFCTYPE_INT1 = 10,
    RFCTYPE_NULL = 14,
    RFCTYPE_ABAPOBJECT = 16,
    RFCTYPE_STRUCTURE = 17,
    RFCTYPE_DECF16 = 23,
    RFCTYPE_DECF34 = 24,
    RFCTYPE_XMLDATA = 28,
    RFCTYPE_STRING = 29,
    RFCTYPE_XSTRING = 30,
    RFCTYPE_INT8,
} RFCTYPE;

typedef enum {
    RFC_OK,
    RFC_COMMUNICATION_FAILURE,
    RFC_LOGON_FAILURE,
    RFC_ABAP_RUNTIME_FAILURE,
    RFC_ABAP_MESSAGE,
    RFC_ABAP_EXCEPTION,
    RFC_CLOSED,
    RFC_CANCELED,
    RFC_TIMEOUT,
    RFC_MEMORY_INSUFFICIENT,
    RFC_VERSION_MISMATCH,
    RFC_INVALID_PROTOCOL,
    RFC_SERIALIZATION_FAILURE,
    RFC_INVALID_HANDLE,
    RFC_RETRY,
    RFC_EXTERNAL_FAILURE,
    RFC_EXECUTED,
    RFC_NOT_FOUND,
    RFC_NOT_SUPPORTED,
    RFC_ILLEGAL_STATE,
    RFC_INVALID_PARAMETER,
    RFC_CODEPAGE_CONVERSION_FAILURE,
    RFC_CONVERSION_FAILURE,
    RFC_BUFFER_TOO_SMALL,
    RFC_TABLE_MOVE_BOF,
    RFC_TABLE_MOVE_EOF,
    RFC_START_SAPGUI_FAILURE,
    RFC_ABAP_CLASS_EXCEPTION,
    RFC_UNKNOWN_ERROR,
    RFC_AUTHORIZATION_FAILURE,
    RFC_AUTHENTICATION_FAILURE,
    RFC_CRYPTOLIB_FAILURE,
    RFC_IO_FAILURE,
    RFC_LOCKING_FAILURE,
} RFC_RC;

typedef enum {
    OK,
    ABAP_APPLICATION_FAILURE,
    ABAP_RUNTIME_FAILURE,
    LOGON_FAILURE,
    COMMUNICATION_FAILURE,
    EXTERNAL_RUNTIME_FAILURE,
    EXTERNAL_APPLICATION_FAILURE,
    EXTERNAL_AUTHORIZATION_FAILURE,
} RFC_ERROR_GROUP;

typedef enum {
    RFC_IMPORT = 0x01,
    RFC_EXPORT = 0x02,
    RFC_CHANGING = RFC_IMPORT | RFC_EXPORT,
    RFC_TABLES = 0x04 | RFC_CHANGING,
} RFC_DIRECTION;

typedef struct {
    RFC_RC code;
    RFC_ERROR_GROUP group;
    SAP_UC key[128];
    SAP_UC message[512];
    SAP_UC abapMsgClass[20 + 1];
    SAP_UC abapMsgType[1 + 1];
    RFC_NUM abapMsgNumber[3 + 1];
    SAP_UC abapMsgV1[50 + 1];
    SAP_UC abapMsgV2[50 + 1];
    SAP_UC abapMsgV3[50 + 1];
    SAP_UC abapMsgV4[50 + 1];
} RFC_ERROR_INFO;

typedef struct {
    const SAP_UC *name;
    const SAP_UC *value;
} RFC_CONNECTION_PARAMETER;

typedef struct {
    SAP_UC dest[64 + 1];
    SAP_UC host[100 + 1];
    SAP_UC partnerHost[100 + 1];
    SAP_UC sysNumber[2 + 1];
    SAP_UC sysId[8 + 1];
    SAP_UC client[3 + 1];
    SAP_UC user[12 + 1];
    SAP_UC language[2 + 1];
    SAP_UC trace[1 + 1];
    SAP_UC isoLanguage[2 + 1];
    SAP_UC codepage[4 + 1];
    SAP_UC partnerCodepage[4 + 1];
    SAP_UC rfcRole[1 + 1];
    SAP_UC type[1 + 1];
    SAP_UC partnerType[1 + 1];
    SAP_UC rel[4 + 1];
    SAP_UC partnerRel[4 + 1];
    SAP_UC kernelRel[4 + 1];
    SAP_UC cpicConvId[8 + 1];
    SAP_UC progName[128 + 1];
    SAP_UC partnerBytesPerChar[1 + 1];
    SAP_UC partnerSystemCodepage[4 + 1];
    SAP_UC partnerIP[15 + 1];
    SAP_UC partnerIPv6[45 + 1];
    SAP_UC reserved[17];
} RFC_ATTRIBUTES;

/* Opaque handles. */
typedef struct RFC_CONNECTION_HANDLE_s *RFC_CONNECTION_HANDLE;
typedef struct RFC_FUNCTION_DESC_HANDLE_s *RFC_FUNCTION_DESC_HANDLE;
typedef struct RFC_TYPE_DESC_HANDLE_s *RFC_TYPE_DESC_HANDLE;
typedef struct RFC_DATA_CONTAINER *DATA_CONTAINER_HANDLE;
typedef DATA_CONTAINER_HANDLE RFC_FUNCTION_HANDLE;
typedef DATA_CONTAINER_HANDLE RFC_STRUCTURE_HANDLE;
typedef DATA_CONTAINER_HANDLE RFC_TABLE_HANDLE;

typedef struct {
    RFC_ABAP_NAME name;
    RFCTYPE type;
    RFC_DIRECTION direction;
    unsigned nucLength;
    unsigned ucLength;
    unsigned decimals;
    RFC_TYPE_DESC_HANDLE typeDescHandle;
    RFC_PARAMETER_DEFVALUE defaultValue;
    RFC_PARAMETER_TEXT parameterText;
    RFC_BYTE optional;
    void *extendedDescription;
} RFC_PARAMETER_DESC;

typedef struct {
    RFC_ABAP_NAME name;
    RFCTYPE type;
    unsigned nucLength;
    unsigned nucOffset;
    unsigned ucLength;
    unsigned ucOffset;
    unsigned decimals;
    RFC_TYPE_DESC_HANDLE typeDescHandle;
    void *extendedDescription;
} RFC_FIELD_DESC;

/* connections */
DECL_EXP RFC_CONNECTION_HANDLE SAP_API
RfcOpenConnection(RFC_CONNECTION_PARAMETER const *connectionParams, unsigned paramCount,
                  RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcCloseConnection(RFC_CONNECTION_HANDLE rfcHandle,
                                           RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcCancel(RFC_CONNECTION_HANDLE rfcHandle, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcPing(RFC_CONNECTION_HANDLE rfcHandle, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcResetServerContext(RFC_CONNECTION_HANDLE rfcHandle,
                                              RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetConnectionAttributes(RFC_CONNECTION_HANDLE rfcHandle,
                                                   RFC_ATTRIBUTES *attr, RFC_ERROR_INFO *errorInfo);

/* metadata */
DECL_EXP RFC_FUNCTION_DESC_HANDLE SAP_API RfcGetFunctionDesc(RFC_CONNECTION_HANDLE rfcHandle,
                                                             SAP_UC const *funcName,
                                                             RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcRemoveFunctionDesc(SAP_UC const *repositoryID,
                                              SAP_UC const *functionName,
                                              RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetParameterCount(RFC_FUNCTION_DESC_HANDLE funcDesc, unsigned *count,
                                             RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetParameterDescByIndex(RFC_FUNCTION_DESC_HANDLE funcDesc,
                                                   unsigned index, RFC_PARAMETER_DESC *paramDesc,
                                                   RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetFieldCount(RFC_TYPE_DESC_HANDLE typeHandle, unsigned *count,
                                         RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetFieldDescByIndex(RFC_TYPE_DESC_HANDLE typeHandle, unsigned index,
                                               RFC_FIELD_DESC *fieldDescr,
                                               RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetTypeName(RFC_TYPE_DESC_HANDLE typeHandle, RFC_ABAP_NAME bufferForName,
                                       RFC_ERROR_INFO *errorInfo);

/* function calls */
DECL_EXP RFC_FUNCTION_HANDLE SAP_API RfcCreateFunction(RFC_FUNCTION_DESC_HANDLE funcDescHandle,
                                                       RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcDestroyFunction(RFC_FUNCTION_HANDLE funcHandle,
                                           RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetParameterActive(RFC_FUNCTION_HANDLE funcHandle,
                                              SAP_UC const *paramName, int isActive,
                                              RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcInvoke(RFC_CONNECTION_HANDLE rfcHandle, RFC_FUNCTION_HANDLE funcHandle,
                                  RFC_ERROR_INFO *errorInfo);

/* setters */
DECL_EXP RFC_RC SAP_API RfcSetChars(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                    const RFC_CHAR *charValue, unsigned valueLength,
                                    RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetNum(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                  const RFC_NUM *charValue, unsigned valueLength,
                                  RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetDate(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   const RFC_DATE date, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetTime(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   const RFC_TIME time, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetString(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                     const SAP_UC *stringValue, unsigned valueLength,
                                     RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetBytes(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                    const SAP_RAW *byteValue, unsigned valueLength,
                                    RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetXString(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                      const SAP_RAW *byteValue, unsigned valueLength,
                                      RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetInt(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                  const RFC_INT value, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetInt1(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   const RFC_INT1 value, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetInt2(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   const RFC_INT2 value, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetInt8(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   const RFC_INT8 value, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcSetFloat(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                    const RFC_FLOAT value, RFC_ERROR_INFO *errorInfo);

/* getters */
DECL_EXP RFC_RC SAP_API RfcGetChars(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                    RFC_CHAR *charBuffer, unsigned bufferLength,
                                    RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetNum(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                  RFC_NUM *charBuffer, unsigned bufferLength,
                                  RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetDate(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   RFC_DATE emptyDate, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetTime(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   RFC_TIME emptyTime, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetStringLength(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                           unsigned *stringLength, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetString(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                     SAP_UC *stringBuffer, unsigned bufferLength,
                                     unsigned *stringLength, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetBytes(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                    SAP_RAW *byteBuffer, unsigned bufferLength,
                                    RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetXString(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                      SAP_RAW *byteBuffer, unsigned bufferLength,
                                      unsigned *xstringLength, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetInt(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                  RFC_INT *value, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetInt1(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   RFC_INT1 *value, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetInt2(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   RFC_INT2 *value, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetInt8(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                   RFC_INT8 *value, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetFloat(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                    RFC_FLOAT *value, RFC_ERROR_INFO *errorInfo);

/* structures and tables */
DECL_EXP RFC_RC SAP_API RfcGetStructure(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                        RFC_STRUCTURE_HANDLE *structHandle,
                                        RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetTable(DATA_CONTAINER_HANDLE dataHandle, SAP_UC const *name,
                                    RFC_TABLE_HANDLE *tableHandle, RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcGetRowCount(RFC_TABLE_HANDLE tableHandle, unsigned *rowCount,
                                       RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_RC SAP_API RfcMoveTo(RFC_TABLE_HANDLE tableHandle, unsigned index,
                                  RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_STRUCTURE_HANDLE SAP_API RfcGetCurrentRow(RFC_TABLE_HANDLE tableHandle,
                                                       RFC_ERROR_INFO *errorInfo);
DECL_EXP RFC_STRUCTURE_HANDLE SAP_API RfcAppendNewRow(RFC_TABLE_HANDLE tableHandle,
                                                      RFC_ERROR_INFO *errorInfo);

#ifdef __cplusplus
}
#endif

#endif
